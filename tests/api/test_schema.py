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
    served = set(api_routes(get_resolver().url_patterns)) - {"/api/v1/schema/", "/api/v1/docs/"}
    assert documented == served
    assert schema["components"]["securitySchemes"]["ApiToken"]["scheme"] == "bearer"
    assert all(op.get("security") for path in schema["paths"].values() for op in path.values())


HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def test_every_operation_has_a_summary_security_and_its_error_answers_in_the_one_shape():
    schema = APIClient().get("/api/v1/schema/").json()
    problems = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            name = f"{method.upper()} {path}"
            if not operation.get("summary"):
                problems.append(f"{name}: no summary (extend_schema(summary=...))")
            if not operation.get("security"):
                problems.append(f"{name}: no security")
            responses = operation.get("responses", {})
            for status in ("401", "429"):
                if status not in responses:
                    problems.append(f"{name}: {status} not documented")
            for status, response in responses.items():
                if status[0] in "45":
                    content = response.get("content", {}).get("application/json", {})
                    ref = content.get("schema", {}).get("$ref", "")
                    shape = schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
                    # The Error shape itself, or one that adds to it (a link error carries each line's result).
                    if not ref or not {"code", "message", "fields"} <= set(shape):
                        problems.append(f"{name}: {status} is not the Error shape")
            if method in ("post", "put", "patch", "delete"):
                names = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
                if ("header", "Idempotency-Key") not in names:
                    problems.append(f"{name}: no Idempotency-Key header")
                for status in ("409", "422"):
                    if status not in responses:
                        problems.append(f"{name}: {status} not documented")
    assert problems == []
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "message", "fields"}
