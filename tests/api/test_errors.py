"""The API's one error shape and what its status codes mean."""

import pytest
from rest_framework import exceptions
from rest_framework.test import APIRequestFactory

from complaints.api.errors import exception_handler
from ipp_portal.errors import DeadlinePassed, InvalidTransition, NotPermitted, PortalError
from tests.factories import make_complainant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (PortalError("Give a name.", code="reason_required", field="name"), 400, "reason_required"),
        (NotPermitted(), 403, "not_permitted"),
        (InvalidTransition(), 409, "invalid_transition"),
        (DeadlinePassed(), 409, "deadline_passed"),
        (exceptions.NotFound(), 404, "not_found"),
        (exceptions.Throttled(wait=12), 429, "throttled"),
        (exceptions.MethodNotAllowed("POST"), 405, "method_not_allowed"),
    ],
)
def test_every_error_has_one_shape(exc, status, code):
    response = exception_handler(exc, {})

    assert response.status_code == status
    assert set(response.data) == {"code", "message", "fields"}
    assert response.data["code"] == code


def test_a_domain_error_names_its_field():
    response = exception_handler(PortalError("Give a name.", code="reason_required", field="name"), {})

    assert response.data == {"code": "reason_required", "message": "Give a name.", "fields": {"name": ["Give a name."]}}


def test_validation_errors_come_per_field():
    response = exception_handler(exceptions.ValidationError({"status": ["Not a status."]}), {})

    assert response.status_code == 400
    assert response.data["fields"] == {"status": ["Not a status."]}


def test_throttled_says_when_to_come_back():
    assert exception_handler(exceptions.Throttled(wait=12), {})["Retry-After"] == "13"


def test_an_unknown_filter_value_is_a_400_with_its_field(bearer):
    response = bearer(make_complainant().user).get("/api/v1/claims/?status=nonsense")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_choice"
    assert list(response.json()["fields"]) == ["status"]


def test_a_wrong_method_is_405_in_the_same_shape(bearer):
    response = bearer(make_complainant().user).post("/api/v1/rights/", {}, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_a_bug_is_not_turned_into_a_client_error():
    assert exception_handler(RuntimeError("bug"), {"request": APIRequestFactory().get("/")}) is None


@pytest.mark.urls("tests.api.urls_idempotency")
def test_a_bug_under_the_api_answers_the_error_shape_and_is_still_logged(caplog):
    """A real unhandled exception in an API view (the test URL conf's echo endpoint, told to fail): a 500 in the
    one error shape with a stable code, no HTML and no traceback; Django still logs the exception."""
    from rest_framework.test import APIClient

    from complaints.api.services import api_token_create
    from tests.api.urls_idempotency import CONTROL

    _token, secret = api_token_create(user=make_complainant().user, name="Client", scopes=["read", "file"])
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    CONTROL.reset()
    CONTROL.fail_next = True
    try:
        response = client.post("/api/v1/test/echo/", {"name": "echo"}, format="json")
    finally:
        CONTROL.reset()

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert (body["code"], body["fields"]) == ("server_error", {})
    assert "a bug, for the test" not in response.content.decode()
    logged = [r for r in caplog.records if r.name == "django.request" and r.exc_info]
    assert [r.exc_info[1].args for r in logged] == [("a bug, for the test",)]
