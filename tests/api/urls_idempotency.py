"""The real URLs plus one test-only write, so the Idempotency-Key tests need no endpoint of another module.

``POST /api/v1/test/echo/`` makes an API token through its service (a real row, counted by the tests) and answers
201 with it. ``CONTROL`` lets a test make the next call fail (a 500) or hold it until released (concurrency)."""

import threading

from django.urls import include, path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.api.models import ApiToken
from complaints.api.services import api_token_create


class Control:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.fail_next = False
        self.hold = False
        self.entered = threading.Event()
        self.release = threading.Event()


CONTROL = Control()


class EchoIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    file = serializers.FileField(required=False)


class EchoOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class Echo(APIView):
    required_scope = ApiToken.Scope.FILE
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(summary="Test only: make a token", request=EchoIn, responses={201: EchoOut})
    def post(self, request):
        data = EchoIn(data=request.data)
        data.is_valid(raise_exception=True)
        if CONTROL.hold:
            CONTROL.entered.set()
            CONTROL.release.wait(20)
        if CONTROL.fail_next:
            CONTROL.fail_next = False
            raise RuntimeError("a bug, for the test")
        token, _secret = api_token_create(user=request.user, name=data.validated_data["name"], scopes=["read"])
        return Response(
            EchoOut({"id": token.pk, "name": token.name}).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/v1/test/echo/{token.pk}/"},
        )


urlpatterns = [
    path("api/v1/test/echo/", Echo.as_view(), name="echo"),
    path("", include("ipp_portal.urls")),
]

handler500 = "complaints.api.errors.server_error"
