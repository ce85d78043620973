from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "complaints.api.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API token made on the account pages."}


# --- What every operation of the schema says about errors and Idempotency-Key ----------------------------------
# Added by a postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]) so an endpoint documents them
# without repeating them: its own ``extend_schema(responses=...)`` wins where it says more (an example, a narrower
# description); the hook only fills what is missing.

ERROR_SCHEMA = {
    "type": "object",
    "description": "The one error shape of the API: a stable code, a message for people, and the message of each "
    "field that was not valid.",
    "properties": {
        "code": {"type": "string", "description": "Stable, for programs: e.g. not_authenticated, throttled."},
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["code", "message", "fields"],
}
ERROR_DESCRIPTIONS = {
    "400": "The request is not valid: `fields` says which field and why.",
    "401": "No token, or a token that is not valid or was revoked.",
    "403": "The token lacks the scope this needs, or this is not permitted to your account.",
    "404": "Not found, or not yours (or a pagination cursor that is not valid).",
    "409": "Not possible from the current state, or a request with the same Idempotency-Key is still running "
    "(`idempotency_in_progress`, retry after `Retry-After` seconds).",
    "415": "The body is not of a media type this operation takes.",
    "422": "The Idempotency-Key was already used for a request with another method, path or body "
    "(`idempotency_key_reused`).",
    "429": "Too many requests from this token: wait `Retry-After` seconds.",
}
UNSAFE = ("post", "put", "patch", "delete")
PAGINATION_PARAMETERS = {"cursor", "page_size"}
IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
    "description": "Any unique value (e.g. a UUID) for this request. Sent again with the same request, it returns "
    "the first answer (marked `Idempotent-Replayed: true`) instead of doing the request twice; keys are kept for "
    "24 hours and belong to your account (any of your tokens). A server error (5xx), 401, 403 or 429 is not kept, "
    "so retrying with the same key runs the request again.",
}
REPLAYED_HEADER = {
    "description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key.",
    "schema": {"type": "string", "enum": ["true"]},
}
RETRY_AFTER_HEADER = {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}


def error_response(status: str) -> dict:
    response: dict = {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if status in ("409", "429"):
        response["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
    return response


def error_statuses(path: str, method: str, operation: dict) -> list[str]:
    """The errors an operation can answer: every one 401, 403 and 429 (token, scope, rate); 400 when it takes a body
    or a query parameter beyond pagination; 404 when it names an object or pages by cursor; a write also 409 and 422
    (Idempotency-Key) and 415 when it takes a body."""
    names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    statuses = ["401", "403", "429"]
    if method in UNSAFE or names - PAGINATION_PARAMETERS:
        statuses.append("400")
    if "{" in path or "cursor" in names:
        statuses.append("404")
    if method in UNSAFE:
        statuses += ["409", "422"]
        if "requestBody" in operation:
            statuses.append("415")
    return sorted(statuses)


def document_errors_and_idempotency(result: dict, generator, request, public) -> dict:
    """The postprocessing hook: the ``Error`` component, the error answers of every operation, and the
    Idempotency-Key header (and Idempotent-Replayed answer header) of every write."""
    # The shared definition wins over the one generated from ErrorSerializer (same fields, its own order).
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "head", *UNSAFE):
                continue
            responses = operation.setdefault("responses", {})
            for status in error_statuses(path, method, operation):
                responses.setdefault(status, error_response(status))
            for status, response in responses.items():
                if status[0] in "45" and not response.get("content"):
                    # An error documented by its description alone answers in the one shape too.
                    response["content"] = error_response(status)["content"]
            if method in UNSAFE:
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in parameters):
                    parameters.append(IDEMPOTENCY_KEY_PARAMETER)
                for status, response in responses.items():
                    if status.startswith("2") or status.startswith("4"):
                        response.setdefault("headers", {}).setdefault("Idempotent-Replayed", REPLAYED_HEADER)
    return result


class ErrorSerializer(serializers.Serializer):
    """The ``Error`` component, for an endpoint that documents an error answer of its own (with an example)."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


def errors(*statuses: int, **descriptions: str) -> dict[int, OpenApiResponse]:
    """``extend_schema(responses={201: Out, **errors(400, 409)})``: the error answers with the shared descriptions
    (the hook adds the usual ones anyway; use this to say which an endpoint answers, or to describe one better:
    ``errors(409, e409="The claim was already submitted.")``)."""
    return {
        status: OpenApiResponse(
            ErrorSerializer, description=descriptions.get(f"e{status}", ERROR_DESCRIPTIONS[str(status)])
        )
        for status in statuses
    }
