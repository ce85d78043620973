import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def api_routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from api_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and prefix.startswith("api/v1/"):
            yield "/" + prefix + str(pattern.pattern)


def test_the_schema_is_public_valid_and_lists_every_endpoint():
    response = APIClient().get("/api/v1/schema/")

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    documented = {path.replace("{id}", "<int:pk>") for path in schema["paths"]}
    served = set(api_routes(get_resolver().url_patterns)) - {"/api/v1/schema/"}
    assert documented == served
    assert schema["components"]["securitySchemes"]["ApiToken"]["scheme"] == "bearer"
    assert all(op.get("security") for path in schema["paths"].values() for op in path.values())
