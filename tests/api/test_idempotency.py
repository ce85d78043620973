"""Idempotency-Key on every write of the API (complaints/api/idempotency.py), through a test-only endpoint that makes
a real row (an API token, through its service) so each test counts the effect."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.api.idempotency import idempotency_keys_sweep
from complaints.api.models import ApiToken, IdempotencyKey
from complaints.api.services import api_token_create, api_token_revoke
from complaints.api.tasks import sweep_idempotency_keys
from tests.api.urls_idempotency import CONTROL
from tests.factories import SellerFactory, make_complainant
from tests.threads import run_together

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.urls_idempotency")]
ECHO = "/api/v1/test/echo/"


@pytest.fixture(autouse=True)
def _control():
    CONTROL.reset()
    yield
    CONTROL.release.set()  # never leave a held request waiting
    CONTROL.reset()


def client_with(user, scopes=("read", "file")) -> APIClient:
    _token, secret = api_token_create(user=user, name="Client", scopes=scopes)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def made(user) -> list[str]:
    """The tokens the echo endpoint made for the user (the effect the tests count)."""
    return sorted(ApiToken.objects.filter(user=user, name__startswith="echo").values_list("name", flat=True))


def post(client, body, key="key-1", path=ECHO):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(path, body, format="json", **headers)


@pytest.fixture
def holder():
    return make_complainant().user


def test_a_replay_returns_the_first_answer_and_does_nothing_again(holder):
    client = client_with(holder)

    first = post(client, {"name": "echo one"})
    again = post(client, {"name": "echo one"})

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert made(holder) == ["echo one"]
    row = IdempotencyKey.objects.get()
    assert (row.user, row.key, row.method, row.path, row.status) == (holder, "key-1", "POST", ECHO, 201)


def test_without_a_key_every_request_runs(holder):
    client = client_with(holder)

    assert post(client, {"name": "echo one"}, key=None).status_code == 201
    assert post(client, {"name": "echo one"}, key=None).status_code == 201

    assert made(holder) == ["echo one", "echo one"]
    assert not IdempotencyKey.objects.exists()


def test_the_same_key_with_another_body_or_path_is_refused_and_does_nothing(holder):
    client = client_with(holder)
    post(client, {"name": "echo one"})

    other_body = post(client, {"name": "echo two"})
    other_path = post(client, {"name": "echo one"}, path=ECHO + "?again=1")

    for response in (other_body, other_path):
        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_reused"
        assert response.json()["fields"] == {}
        assert "Idempotent-Replayed" not in response
    assert made(holder) == ["echo one"]
    assert IdempotencyKey.objects.count() == 1


def test_a_failed_answer_with_the_same_key_is_kept_too(holder):
    """A 400 says something about the request itself: the same request gets it again, and still makes nothing."""
    client = client_with(holder)

    first = post(client, {"name": ""})
    again = post(client, {"name": ""})

    assert first.status_code == again.status_code == 400
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert made(holder) == []


def test_keys_belong_to_the_user_not_to_the_token_nor_to_anyone_else(holder):
    first_token, second_token = client_with(holder), client_with(holder)
    other = make_complainant().user

    first = post(first_token, {"name": "echo one"})
    rotated = post(second_token, {"name": "echo one"})
    someone_else = post(client_with(other), {"name": "echo one"})

    assert rotated.status_code == 201
    assert rotated["Idempotent-Replayed"] == "true"
    assert rotated.content == first.content
    assert someone_else.status_code == 201
    assert "Idempotent-Replayed" not in someone_else
    assert made(holder) == ["echo one"]
    assert made(other) == ["echo one"]


@pytest.mark.parametrize(
    "key",
    ["x" * 256, "bad\x01key", "tab\tkey", "caf\u00e9", ""],
    ids=["too long", "control character", "tab", "not ascii", "empty"],
)
def test_an_invalid_key_is_refused_and_does_nothing(holder, key):
    client = client_with(holder)

    response = post(client, {"name": "echo one"}, key=key)

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert made(holder) == []
    assert not IdempotencyKey.objects.exists()


def test_a_key_of_255_printable_characters_is_taken(holder):
    client = client_with(holder)
    key = "k" * 254 + "~"

    assert post(client, {"name": "echo one"}, key=key).status_code == 201
    assert post(client, {"name": "echo one"}, key=key)["Idempotent-Replayed"] == "true"
    assert made(holder) == ["echo one"]


def test_a_server_error_is_not_kept_so_the_retry_runs(holder):
    client = client_with(holder)
    CONTROL.fail_next = True

    failed = post(client, {"name": "echo one"})

    assert failed.status_code == 500
    assert made(holder) == []
    assert not IdempotencyKey.objects.exists()

    retried = post(client, {"name": "echo one"})

    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert made(holder) == ["echo one"]


def test_a_refused_scope_is_not_kept_so_a_token_with_the_scope_may_retry(holder):
    read_only = client_with(holder, scopes=("read",))

    refused = post(read_only, {"name": "echo one"})

    assert refused.status_code == 403
    assert not IdempotencyKey.objects.exists()
    assert post(client_with(holder), {"name": "echo one"}).status_code == 201
    assert made(holder) == ["echo one"]


def test_without_a_valid_token_the_key_is_ignored_and_the_view_answers_401(holder):
    token, secret = api_token_create(user=holder, name="Revoked", scopes=["read", "file"])
    api_token_revoke(user=holder, token_id=token.pk)
    revoked = APIClient()
    revoked.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    garbage = APIClient()
    garbage.credentials(HTTP_AUTHORIZATION="Bearer ipp_nothing")

    for client in (APIClient(), revoked, garbage):
        response = post(client, {"name": "echo one"}, key="x\x01")  # not even the key is looked at
        assert response.status_code == 401
        assert response.json()["code"] in ("not_authenticated", "authentication_failed")
    assert made(holder) == []
    assert not IdempotencyKey.objects.exists()


def test_a_seller_token_cannot_write_with_a_key_either():
    seller = SellerFactory().user
    response = post(client_with(seller, scopes=("read",)), {"name": "echo one"})

    assert response.status_code == 403
    assert not IdempotencyKey.objects.exists()
    assert made(seller) == []


def test_reads_and_pages_outside_the_api_are_left_alone(holder):
    client = client_with(holder)

    response = client.get("/api/v1/rights/", HTTP_IDEMPOTENCY_KEY="x\x01")

    assert response.status_code == 200
    assert not IdempotencyKey.objects.exists()


def test_a_multipart_body_is_compared_by_its_raw_bytes(holder):
    client = client_with(holder)

    def upload(content: bytes):
        return client.post(
            ECHO,
            {"name": "echo file", "file": SimpleUploadedFile("a.txt", content)},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first = upload(b"first file")
    again = upload(b"first file")
    other = upload(b"another file")

    assert first.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert made(holder) == ["echo file"]


def test_keys_expire_after_a_day_and_are_swept_in_batches(holder):
    client = client_with(holder)
    for n in range(5):
        post(client, {"name": f"echo {n}"}, key=f"old-{n}")
    post(client, {"name": "echo new"}, key="new")
    IdempotencyKey.objects.exclude(key="new").update(created_at=timezone.now() - timedelta(hours=24, minutes=1))

    # An expired key is a new key: the request runs again.
    assert "Idempotent-Replayed" not in post(client, {"name": "echo 0"}, key="old-0")
    assert made(holder).count("echo 0") == 2

    assert idempotency_keys_sweep(batch=2) == 4
    assert sorted(IdempotencyKey.objects.values_list("key", flat=True)) == ["new", "old-0"]
    assert idempotency_keys_sweep() == 0


def test_an_abandoned_claim_is_taken_over_after_ten_minutes(holder):
    """A worker that died mid-request left its key "in progress"; its transaction rolled back, so the retry runs."""
    client = client_with(holder)
    post(client, {"name": "echo one"})
    IdempotencyKey.objects.update(status=None, created_at=timezone.now() - timedelta(minutes=11))
    ApiToken.objects.filter(name="echo one").delete()

    retried = post(client, {"name": "echo one"})

    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert made(holder) == ["echo one"]
    assert IdempotencyKey.objects.get().status == 201


def test_the_schema_documents_the_key_on_every_write():
    schema = APIClient().get("/api/v1/schema/").json()
    operation = schema["paths"][ECHO]["post"]

    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header"
    assert header["schema"]["maxLength"] == 255
    assert {"400", "401", "403", "409", "415", "422", "429"} <= set(operation["responses"])
    assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "message", "fields"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_key_at_once_runs_once_and_the_other_is_told_to_wait():
    holder = make_complainant().user
    clients = [client_with(holder), client_with(holder)]
    CONTROL.hold = True
    answers = []

    def send(client):
        def call():
            response = post(client, {"name": "echo one"}, key="together")
            answers.append(response)
            if response.status_code == 409:
                CONTROL.release.set()  # the other request is held in the view: let it finish

        return call

    errors = run_together(send(clients[0]), send(clients[1]))

    assert errors == []
    assert sorted(r.status_code for r in answers) == [201, 409]
    waiting = next(r for r in answers if r.status_code == 409)
    assert waiting.json()["code"] == "idempotency_in_progress"
    assert waiting["Retry-After"] == "1"
    assert made(holder) == ["echo one"]
    CONTROL.hold = False
    later = post(clients[1], {"name": "echo one"}, key="together")
    assert later["Idempotent-Replayed"] == "true"
    assert json.loads(later.content) == next(r for r in answers if r.status_code == 201).json()


def test_the_hourly_sweep_is_scheduled_and_forgets_only_expired_keys(holder, settings):
    client = client_with(holder)
    post(client, {"name": "echo old"}, key="old")
    post(client, {"name": "echo new"}, key="new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))

    assert sweep_idempotency_keys.apply().get() == 1

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert any(e["task"] == "api.sweep_idempotency_keys" for e in settings.CELERY_BEAT_SCHEDULE.values())
