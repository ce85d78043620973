"""The API keeps the contract its own schema states: schemathesis generates requests for every operation of the live
schema (whatever endpoints exist) and sends them to the Django app, in process, with a complainant's token that has
every scope. Each answer must not be a server error, must have a status the operation documents, and must match the
documented body schema. Bounded and derandomized: the same requests on every run, a few seconds per operation."""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from complaints.api.services import api_token_create
from complaints.api.views import NewestFirst
from tests.factories import ListingFactory, SellerFactory, make_claim, make_complainant, make_right, take_down

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# The project's WSGI handler, and the schema it serves (read at collection: building it touches no database).
APP = WSGIHandler()
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", APP)
# The ids of the holder's own objects by the collection their paths name, filled by the ``secret`` fixture.
OWN: dict[str, list[int]] = {}


@schema.hook
def map_path_parameters(context, path_parameters):
    """Every other generated id is one of the holder's own objects, so operations on one object answer with it too,
    not only 404 (derandomized: which id is chosen follows from the generated one)."""
    if not path_parameters:
        return path_parameters
    path = context.operation.path if context.operation else ""
    ids = next((ids for collection, ids in OWN.items() if f"/{collection}/" in path), None)
    value = path_parameters.get("id")
    if ids and isinstance(value, int) and not isinstance(value, bool) and value % 2 == 0:
        path_parameters["id"] = ids[(value // 2) % len(ids)]
    return path_parameters


@pytest.fixture
def in_test_transaction():
    """As Django's test client does, the database connection is not closed at the end of each request: it holds
    the test's transaction (and its data)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def secret(monkeypatch, in_test_transaction):
    """A verified holder's token with every scope, and something of each kind to read: rights, a claim with a
    listing taken down, another listing pending; small pages, so the cursors of the lists are exercised too."""
    monkeypatch.setattr(NewestFirst, "page_size", 1)
    holder = make_complainant(legal_name="Contract Brands Ltd")
    right = make_right(holder, title="CONTRACT")
    make_right(holder, title="SECOND", registration_number="UK00009999999")
    seller = SellerFactory(store_name="Contract Store")
    claim = make_claim(holder, listings=[ListingFactory(seller=seller) for _ in range(2)], right=right)
    take_down(claim, [claim.items.order_by("position").first()])
    OWN.clear()
    OWN.update(
        rights=list(holder.rights.values_list("pk", flat=True)),
        claims=[claim.pk],
    )
    _token, secret = api_token_create(user=holder.user, name="Contract", scopes=["read", "file", "answer"])
    return secret


@schema.parametrize()
@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_keeps_its_documented_contract(case, secret):
    # identity: schemathesis sends requests' default "Accept-Encoding: gzip" and its WSGI transport does not undo
    # the GZipMiddleware's compression; compression has its own tests (tests/test_compression.py).
    headers = {"Authorization": f"Bearer {secret}", "Accept-Encoding": "identity"}
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    # The token is valid and has every scope: a request that carries it reaches the endpoint (a run of 401s would
    # prove nothing). Some generated requests leave it out or use another method on purpose.
    sent = response.request
    if sent.headers.get("Authorization") == f"Bearer {secret}" and sent.method == case.operation.method.upper():
        assert response.status_code not in (401, 403), response.text
