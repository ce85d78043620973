"""Signed webhooks (issue 15): deliveries to a real HTTP server in a thread, which checks each signature with the
endpoint's secret the way a receiver would (its own HMAC, not the portal's code)."""

import json
import socket
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints import services as complaint_services
from complaints.api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from complaints.api.services import api_token_create, api_token_revoke
from complaints.api.webhooks import services
from ipp_portal.audit.models import AuditEvent
from ipp_portal.errors import NotPermitted, PortalError
from ipp_portal.notifications.models import Notification
from tests.factories import (
    ListingFactory,
    SellerFactory,
    file_counter_notice,
    make_claim,
    make_complainant,
    make_right,
    make_staff,
    seen,
    take_down,
)
from tests.webhook_receiver import Receiver, signatures, signed_by

pytestmark = pytest.mark.django_db


# --- A receiving server ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    """The receiving servers of these tests listen on 127.0.0.1 over plain http."""
    settings.WEBHOOKS_ALLOW_HTTP_LOCAL = True


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    if server.server is not None:
        server.stop()


def endpoint_for(user, url: str, events) -> tuple[WebhookEndpoint, str]:
    return services.webhook_endpoint_create(user=user, url=url, events=events)


def make_endpoint(user, url: str, events=("claim.decided",)) -> tuple[WebhookEndpoint, str]:
    return services.webhook_endpoint_create(user=user, url=url, events=events)


def make_due() -> None:
    """Time passes: every pending delivery's next attempt is due (and was handed to the broker before that)."""
    now = timezone.now()
    WebhookDelivery.objects.filter(status="pending").update(
        next_attempt_at=now - timedelta(seconds=1), dispatched_at=now - timedelta(seconds=2)
    )


def sweep(capture) -> int:
    with capture(execute=True):
        return services.webhooks_dispatch_due()


# --- Events from the services ---------------------------------------------------------------------------------


def test_a_takedown_reaches_each_subscribed_endpoint_once_signed_and_no_one_else(
    receiver, django_capture_on_commit_callbacks
):
    holder = make_complainant()
    other = make_complainant(legal_name="Other Holder")
    both, secret_both = endpoint_for(holder.user, receiver.url("/both"), ["claim_item.decided", "claim.decided"])
    items_only, secret_items = endpoint_for(holder.user, receiver.url("/items"), ["claim_item.decided"])
    endpoint_for(holder.user, receiver.url("/unsubscribed"), ["right.expiring"])
    endpoint_for(other.user, receiver.url("/other"), ["claim_item.decided", "claim.decided"])
    claim = make_claim(holder, listings=[ListingFactory(), ListingFactory()])

    with django_capture_on_commit_callbacks(execute=True):
        take_down(claim)

    by_path = {}
    for request in receiver.received:
        by_path.setdefault(request["path"], []).append(request)
    assert sorted(by_path) == ["/both", "/items"]
    assert [json.loads(r["body"])["type"] for r in by_path["/both"]] == ["claim_item.decided", "claim.decided"]
    assert [json.loads(r["body"])["type"] for r in by_path["/items"]] == ["claim_item.decided"]
    assert all(signed_by(secret_both, r) for r in by_path["/both"])
    assert all(signed_by(secret_items, r) for r in by_path["/items"])
    assert not signed_by(secret_both, by_path["/items"][0])  # each endpoint has its own secret
    # One event per type, shared by the endpoints: the same Webhook-Id reaches both.
    item_event = WebhookEvent.objects.get(type="claim_item.decided")
    assert by_path["/items"][0]["headers"]["Webhook-Id"] == str(item_event.event_id)
    assert by_path["/both"][0]["headers"]["Webhook-Id"] == str(item_event.event_id)
    assert WebhookDelivery.objects.filter(event=item_event).count() == 2
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert set(WebhookAttempt.objects.values_list("status_code", flat=True)) == {200}
    assert WebhookDelivery.objects.filter(endpoint=both).count() == 2
    assert WebhookDelivery.objects.filter(endpoint=items_only).count() == 1


def test_the_item_decided_payload_names_what_the_api_serves(receiver, django_capture_on_commit_callbacks):
    holder = make_complainant()
    endpoint_for(holder.user, receiver.url(), ["claim_item.decided"])
    claim = make_claim(holder, listings=[ListingFactory(), ListingFactory()])
    first = claim.items.order_by("position").first()

    with django_capture_on_commit_callbacks(execute=True):
        take_down(claim, items=[first])

    (request,) = receiver.received
    payload = json.loads(request["body"])
    assert request["headers"]["Content-Type"] == "application/json"
    assert payload["id"] == request["headers"]["Webhook-Id"]
    assert payload["type"] == "claim_item.decided"
    data = payload["data"]
    assert sorted(data["claim"]) == ["api_url", "id", "reference", "status"]
    assert (data["claim"]["id"], data["claim"]["reference"]) == (claim.pk, claim.reference)
    assert data["claim"]["api_url"] == f"/api/v1/claims/{claim.pk}/"
    assert data["claim"]["status"] != "decided"  # one listing is still pending: no claim.decided either
    assert [(i["id"], i["position"], i["status"]) for i in data["items"]] == [(first.pk, 1, "removed")]
    assert data["items"][0]["decision_reason"]
    token = api_token_create(user=holder.user, name="t", scopes=["read"])[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get(data["claim"]["api_url"]).json()["items"][0]["id"] == first.pk


def test_a_rolled_back_change_sends_nothing(receiver, django_capture_on_commit_callbacks):
    holder = make_complainant()
    endpoint_for(holder.user, receiver.url(), ["claim_item.decided", "claim.decided"])
    claim = make_claim(holder)

    def change_that_fails():
        with transaction.atomic():
            take_down(claim)
            raise RuntimeError("the surrounding change failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        change_that_fails()

    assert WebhookEvent.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0
    assert receiver.received == []


def test_counter_notice_info_request_and_right_events(receiver, django_capture_on_commit_callbacks):
    holder = make_complainant()
    endpoint_for(
        holder.user,
        receiver.url(),
        ["counter_notice.received", "claim.needs_info", "right.verified", "right.rejected", "right.expiring"],
    )
    seller = SellerFactory()
    reviewer = make_staff()
    claim = make_claim(holder, listings=[ListingFactory(seller=seller)])
    asked = make_claim(holder)
    pending = make_right(holder, status="pending", registration_number="UK00000000042")
    doubtful = make_right(holder, status="pending", registration_number="UK00000000043")
    expiring = make_right(
        holder, registration_number="UK00000000044", expires_on=timezone.localdate() + timedelta(days=10)
    )

    with django_capture_on_commit_callbacks(execute=True):
        take_down(claim, reviewer=reviewer)
        notice = file_counter_notice(seller, [claim.items.get()])
        complaint_services.claim_request_info(claim_id=asked.pk, reviewer=reviewer, message="Send the invoice.")
        complaint_services.ip_right_verify(right_id=pending.pk, reviewer=reviewer, seen=seen(pending))
        complaint_services.ip_right_reject(
            right_id=doubtful.pk, reviewer=reviewer, reason="The certificate is unreadable.", seen=seen(doubtful)
        )
        complaint_services.rights_warn_expiring()

    payloads = {p["type"]: p["data"] for p in (json.loads(r["body"]) for r in receiver.received)}
    assert sorted(payloads) == [
        "claim.needs_info", "counter_notice.received", "right.expiring", "right.rejected", "right.verified",
    ]  # fmt: skip
    assert payloads["counter_notice.received"]["counter_notice"]["id"] == notice.pk
    assert payloads["counter_notice.received"]["items"][0]["status"] == "disputed"
    assert payloads["counter_notice.received"]["claim"]["id"] == claim.pk
    assert payloads["claim.needs_info"] == {
        "claim": {"id": asked.pk, "reference": asked.reference, "status": "needs_info",
                  "api_url": f"/api/v1/claims/{asked.pk}/"},
        "message": "Send the invoice.",
    }  # fmt: skip
    assert payloads["right.verified"]["right"]["id"] == pending.pk
    assert payloads["right.verified"]["right"]["api_url"] == f"/api/v1/rights/{pending.pk}/"
    assert payloads["right.rejected"]["right"]["status"] == "rejected"
    assert payloads["right.rejected"]["reason"] == "The certificate is unreadable."
    assert payloads["right.expiring"]["right"]["id"] == expiring.pk
    assert payloads["right.expiring"]["days_left"] == 10


# --- Retries, timeouts, exactly once --------------------------------------------------------------------------


def test_a_receiver_that_is_down_gets_the_event_later_exactly_once(receiver, django_capture_on_commit_callbacks):
    holder = make_complainant()
    endpoint, _secret = endpoint_for(holder.user, receiver.url(), ["claim_item.decided"])
    claim = make_claim(holder)
    receiver.stop()  # the port is closed

    with django_capture_on_commit_callbacks(execute=True):
        take_down(claim)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now()  # backed off
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "Connection" in attempt.error or "refused" in attempt.error.lower()
    assert sweep(django_capture_on_commit_callbacks) == 0  # not due yet: nothing is sent early

    receiver.start()
    make_due()
    assert sweep(django_capture_on_commit_callbacks) == 1
    assert sweep(django_capture_on_commit_callbacks) == 0
    make_due()
    services.webhook_deliver(delivery.pk)  # a duplicate task the broker delivered late

    delivery.refresh_from_db()
    assert receiver.event_ids() == [str(delivery.event.event_id)]
    assert delivery.status == "delivered"
    assert delivery.attempts == 2
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 2
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_the_sweep_hands_over_again_what_the_broker_lost(receiver, django_capture_on_commit_callbacks):
    """A delivery written but never handed to a worker (the broker was down at commit) is sent by the sweep."""
    holder = make_complainant()
    endpoint_for(holder.user, receiver.url(), ["claim_item.decided"])
    claim = make_claim(holder)
    take_down(claim)  # committed, but the on-commit dispatch never ran (no callbacks executed)
    assert receiver.received == []

    assert sweep(django_capture_on_commit_callbacks) == 0  # handed over a moment ago: not lost yet
    WebhookDelivery.objects.update(dispatched_at=timezone.now() - timedelta(minutes=10))
    assert sweep(django_capture_on_commit_callbacks) == 1

    assert len(receiver.received) == 1


def test_a_receiver_that_never_answers_times_out_and_is_retried(settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_CONNECT_TIMEOUT = 0.5
    settings.WEBHOOK_READ_TIMEOUT = 0.5
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections are accepted by the kernel and never answered
    try:
        holder = make_complainant()
        endpoint_for(holder.user, f"http://127.0.0.1:{silent.getsockname()[1]}/hook", ["claim_item.decided"])
        claim = make_claim(holder)

        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            take_down(claim)
        took = time.monotonic() - started
        make_due()
        sweep(django_capture_on_commit_callbacks)
    finally:
        silent.close()

    assert took < 3
    attempts = list(WebhookAttempt.objects.order_by("at"))
    assert len(attempts) == 2
    assert all(a.status_code is None and "timed out" in a.error for a in attempts)
    assert all(a.duration_ms < 1500 for a in attempts)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.attempts == 2


def test_the_default_timeouts_hold_a_worker_five_seconds_at_most(settings):
    assert settings.WEBHOOK_CONNECT_TIMEOUT + settings.WEBHOOK_READ_TIMEOUT <= 5


def test_a_delivery_gives_up_after_the_last_attempt(receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.status = 500
    holder = make_complainant()
    endpoint_for(holder.user, receiver.url(), ["claim_item.decided"])

    with django_capture_on_commit_callbacks(execute=True):
        take_down(make_claim(holder))
    make_due()
    sweep(django_capture_on_commit_callbacks)
    make_due()
    sweep(django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.last_status_code == 500
    assert len(receiver.received) == 2


def test_repeated_failures_disable_the_endpoint_and_tell_its_owner(
    receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    settings.WEBHOOK_DISABLE_AFTER = timedelta(0)
    receiver.status = 503
    holder = make_complainant()
    endpoint, _secret = endpoint_for(holder.user, receiver.url(), ["claim_item.decided"])

    with django_capture_on_commit_callbacks(execute=True):
        take_down(make_claim(holder))
    make_due()
    sweep(django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.is_active  # two failures: not yet
    assert not Notification.objects.filter(template="api/webhook_disabled").exists()
    make_due()
    sweep(django_capture_on_commit_callbacks)

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_reason == "failures"
    notice = Notification.objects.get(template="api/webhook_disabled")
    assert notice.recipient == holder.user
    assert endpoint.url in notice.body_text
    assert AuditEvent.objects.filter(verb="webhook_endpoint.disabled", actor=None).count() == 1
    # Disabled: nothing more is tried, and new events make no deliveries for it.
    make_due()
    assert sweep(django_capture_on_commit_callbacks) == 0
    with django_capture_on_commit_callbacks(execute=True):
        take_down(make_claim(holder))
    assert len(receiver.received) == 3
    assert WebhookDelivery.objects.count() == 1


def test_a_slow_receiver_for_a_short_while_is_not_disabled(receiver, settings, django_capture_on_commit_callbacks):
    """Many failures in a few minutes are not enough: the failing streak must also last WEBHOOK_DISABLE_AFTER."""
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    receiver.status = 500
    holder = make_complainant()
    endpoint, _secret = endpoint_for(holder.user, receiver.url(), ["claim_item.decided"])

    with django_capture_on_commit_callbacks(execute=True):
        take_down(make_claim(holder))
        take_down(make_claim(holder))
    make_due()
    sweep(django_capture_on_commit_callbacks)

    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 4
    assert endpoint.is_active


def test_delivery_refuses_a_name_that_resolves_to_a_private_address(
    receiver, settings, django_capture_on_commit_callbacks
):
    holder = make_complainant()
    endpoint_for(holder.user, f"http://localhost:{receiver.port}/hook", ["claim_item.decided"])
    settings.DEBUG = False  # production: only public addresses
    settings.WEBHOOKS_ALLOW_HTTP_LOCAL = False

    with django_capture_on_commit_callbacks(execute=True):
        take_down(make_claim(holder))

    assert receiver.received == []
    assert "DeliveryRefused" in WebhookAttempt.objects.get().error


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/ipp",  # not https
        "https://10.1.2.3/ipp",  # private
        "https://127.0.0.1/ipp",  # loopback
        "https://[::1]/ipp",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://localhost/ipp",
        "https://admin:pw@hooks.example.com/ipp",  # credentials
        "ftp://hooks.example.com/",
        "https:///nohost",
    ],
)
def test_an_endpoint_must_be_a_public_https_address(url, settings):
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_HTTP_LOCAL = False
    holder = make_complainant()

    with pytest.raises(PortalError) as refused:
        services.webhook_endpoint_create(user=holder.user, url=url, events=["claim.decided"])

    assert refused.value.field == "url"
    assert not WebhookEndpoint.objects.exists()


def test_plain_http_to_this_machine_only_when_allowed(settings):
    holder = make_complainant()
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_HTTP_LOCAL = True

    endpoint, _ = services.webhook_endpoint_create(
        user=holder.user, url="http://127.0.0.1:9/x", events=["claim.decided"]
    )
    https, _ = services.webhook_endpoint_create(
        user=holder.user, url="https://hooks.example.com/x", events=["claim.decided"]
    )

    assert endpoint.url == "http://127.0.0.1:9/x"
    assert https.url == "https://hooks.example.com/x"
    with pytest.raises(PortalError):
        services.webhook_endpoint_create(user=holder.user, url="http://hooks.example.com/x", events=["claim.decided"])


def test_only_complainants_register_endpoints_and_events_must_exist():
    seller = SellerFactory()
    holder = make_complainant()

    with pytest.raises(NotPermitted):
        services.webhook_endpoint_create(user=seller.user, url="https://hooks.example.com/", events=["claim.decided"])
    with pytest.raises(PortalError) as no_events:
        services.webhook_endpoint_create(user=holder.user, url="https://hooks.example.com/", events=[])
    with pytest.raises(PortalError) as unknown:
        services.webhook_endpoint_create(user=holder.user, url="https://hooks.example.com/", events=["claim.eaten"])

    assert no_events.value.field == unknown.value.field == "events"
    assert not WebhookEndpoint.objects.exists()
    assert not AuditEvent.objects.filter(verb="webhook_endpoint.created").exists()


# --- Secrets --------------------------------------------------------------------------------------------------


def test_rotation_signs_with_both_secrets_in_the_overlap_and_only_the_new_one_after(
    receiver, django_capture_on_commit_callbacks
):
    holder = make_complainant()
    endpoint, old = endpoint_for(holder.user, receiver.url(), ["claim_item.decided"])
    endpoint, new = services.webhook_endpoint_rotate_secret(user=holder.user, endpoint_id=endpoint.pk)

    with django_capture_on_commit_callbacks(execute=True):
        take_down(make_claim(holder))
    during = receiver.received[-1]
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(previous_secret_expires_at=timezone.now())  # 24 h later
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_redeliver(user=holder.user, endpoint_id=endpoint.pk, delivery_id=delivery.pk)
    after = receiver.received[-1]

    assert new != old
    assert len(signatures(during["headers"])) == 2
    assert signed_by(old, during)
    assert signed_by(new, during)
    assert len(signatures(after["headers"])) == 1
    assert signed_by(new, after)
    assert not signed_by(old, after)
    rotated = AuditEvent.objects.get(verb="webhook_endpoint.secret_rotated")
    assert old not in repr(rotated.data)
    assert new not in repr(rotated.data)


def test_a_tampered_body_or_timestamp_fails_the_signature(receiver, django_capture_on_commit_callbacks):
    holder = make_complainant()
    _endpoint, secret = endpoint_for(holder.user, receiver.url(), ["claim_item.decided"])
    with django_capture_on_commit_callbacks(execute=True):
        take_down(make_claim(holder))
    request = receiver.received[0]

    tampered_body = {**request, "body": request["body"].replace(b"removed", b"rejected")}
    headers = {**request["headers"], "Webhook-Timestamp": str(int(request["headers"]["Webhook-Timestamp"]) + 1)}
    tampered_time = {**request, "headers": headers}

    assert signed_by(secret, request)
    assert services.verify(secret, request["headers"]["Webhook-Signature"], request["headers"]["Webhook-Timestamp"],
                           request["body"])  # fmt: skip
    assert not signed_by(secret, tampered_body)
    assert not signed_by(secret, tampered_time)
    assert abs(int(request["headers"]["Webhook-Timestamp"]) - time.time()) < 60


# --- Pages ----------------------------------------------------------------------------------------------------


def test_adding_an_endpoint_on_the_page_shows_the_secret_once(client, receiver):
    holder = make_complainant()
    client.force_login(holder.user)

    form = client.get(reverse("webhooks:list"))
    made = client.post(reverse("webhooks:list"), {"url": receiver.url(), "events": ["claim_item.decided"]})
    endpoint = WebhookEndpoint.objects.get(owner=holder.user)
    listed = client.get(reverse("webhooks:list"))
    detail = client.get(reverse("webhooks:detail", args=[endpoint.pk]))

    assert "csrfmiddlewaretoken" in form.content.decode()
    assert made.status_code == 200
    assert made.context["secret"] == endpoint.secret
    assert endpoint.secret in made.content.decode()
    assert endpoint.secret not in listed.content.decode()
    assert endpoint.secret not in detail.content.decode()
    assert endpoint.url in listed.content.decode()
    assert reverse("webhooks:list") in client.get(reverse("accounts:password-change")).content.decode()


def test_a_bad_address_is_shown_at_its_field(client):
    holder = make_complainant()
    client.force_login(holder.user)

    page = client.post(reverse("webhooks:list"), {"url": "http://hooks.example.com/", "events": ["claim.decided"]})

    assert page.status_code == 200
    assert "https://" in str(page.context["form"].errors["url"])
    assert not WebhookEndpoint.objects.exists()


def test_a_seller_is_told_webhooks_need_a_complainant_profile(client):
    seller = SellerFactory()
    client.force_login(seller.user)

    page = client.post(reverse("webhooks:list"), {"url": "https://hooks.example.com/", "events": ["claim.decided"]})

    assert "complainant profile" in page.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_rotating_and_deleting_ask_first(client):
    holder = make_complainant()
    endpoint, secret = services.webhook_endpoint_create(
        user=holder.user, url="https://hooks.example.com/", events=["claim.decided"]
    )
    client.force_login(holder.user)

    ask_rotate = client.get(reverse("webhooks:rotate", args=[endpoint.pk]))
    ask_delete = client.get(reverse("webhooks:delete", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert ask_rotate.status_code == ask_delete.status_code == 200
    assert "csrfmiddlewaretoken" in ask_rotate.content.decode()
    assert "csrfmiddlewaretoken" in ask_delete.content.decode()
    assert endpoint.secret == secret  # asking changed nothing

    rotated = client.post(reverse("webhooks:rotate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secret != secret
    assert endpoint.secret in rotated.content.decode()
    assert endpoint.previous_secret == secret

    deleted = client.post(reverse("webhooks:delete", args=[endpoint.pk]))
    assert deleted.status_code == 302
    assert not WebhookEndpoint.objects.exists()
    assert AuditEvent.objects.filter(verb="webhook_endpoint.deleted").count() == 1


def test_posts_without_the_csrf_token_are_refused():
    holder = make_complainant()
    endpoint, _ = services.webhook_endpoint_create(
        user=holder.user, url="https://hooks.example.com/", events=["claim.decided"]
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(holder.user)

    responses = [
        client.post(reverse("webhooks:list"), {"url": "https://other.example.com/", "events": ["claim.decided"]}),
        client.post(reverse("webhooks:delete", args=[endpoint.pk])),
        client.post(reverse("webhooks:rotate", args=[endpoint.pk])),
        client.post(reverse("webhooks:disable", args=[endpoint.pk])),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    assert WebhookEndpoint.objects.get().is_active
    assert WebhookEndpoint.objects.count() == 1


def test_disable_and_enable(client, receiver, django_capture_on_commit_callbacks):
    holder = make_complainant()
    endpoint, _ = endpoint_for(holder.user, receiver.url(), ["claim_item.decided"])
    client.force_login(holder.user)

    client.post(reverse("webhooks:disable", args=[endpoint.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        take_down(make_claim(holder))
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_reason == "owner"
    assert not WebhookDelivery.objects.exists()  # no events are recorded for a disabled endpoint

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhooks:enable", args=[endpoint.pk]))
        take_down(make_claim(holder))
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert len(receiver.received) == 1


def test_redeliver_sends_the_same_event_id_again_and_logs_the_attempt(
    client, receiver, django_capture_on_commit_callbacks
):
    holder = make_complainant()
    endpoint, _ = endpoint_for(holder.user, receiver.url(), ["claim_item.decided"])
    with django_capture_on_commit_callbacks(execute=True):
        take_down(make_claim(holder))
    delivery = WebhookDelivery.objects.get()
    client.force_login(holder.user)

    page = client.get(reverse("webhooks:detail", args=[endpoint.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("webhooks:redeliver", args=[endpoint.pk, delivery.pk]))

    assert "Redeliver" in page.content.decode()
    assert "HTTP 200" in page.content.decode()
    assert answer.status_code == 302
    ids = receiver.event_ids()
    assert len(ids) == 2
    assert ids[0] == ids[1] == str(delivery.event.event_id)
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("at", "id"))
    assert [a.redelivery for a in attempts] == [False, True]
    assert AuditEvent.objects.filter(verb="webhook_delivery.redelivery_requested").count() == 1


def test_another_users_endpoint_is_404_everywhere_and_nothing_changes(
    client, receiver, django_capture_on_commit_callbacks
):
    holder = make_complainant()
    endpoint, secret = endpoint_for(holder.user, receiver.url(), ["claim_item.decided"])
    with django_capture_on_commit_callbacks(execute=True):
        take_down(make_claim(holder))
    delivery = WebhookDelivery.objects.get()
    client.force_login(make_complainant(legal_name="Intruder").user)
    audit_before = AuditEvent.objects.count()

    answers = [
        client.get(reverse("webhooks:detail", args=[endpoint.pk])),
        client.get(reverse("webhooks:rotate", args=[endpoint.pk])),
        client.post(reverse("webhooks:rotate", args=[endpoint.pk])),
        client.get(reverse("webhooks:delete", args=[endpoint.pk])),
        client.post(reverse("webhooks:delete", args=[endpoint.pk])),
        client.post(reverse("webhooks:disable", args=[endpoint.pk])),
        client.post(reverse("webhooks:enable", args=[endpoint.pk])),
        client.post(reverse("webhooks:redeliver", args=[endpoint.pk, delivery.pk])),
    ]

    assert {a.status_code for a in answers} == {404}
    endpoint.refresh_from_db()
    assert endpoint.secret == secret
    assert endpoint.is_active
    assert len(receiver.received) == 1
    assert AuditEvent.objects.count() == audit_before
    assert endpoint.url not in client.get(reverse("webhooks:list")).content.decode()


def test_a_delivery_of_one_endpoint_cannot_be_redelivered_through_another(client):
    holder = make_complainant()
    first, _ = services.webhook_endpoint_create(
        user=holder.user, url="https://a.example.com/", events=["claim.decided"]
    )
    second, _ = services.webhook_endpoint_create(
        user=holder.user, url="https://b.example.com/", events=["claim.decided"]
    )
    event = WebhookEvent.objects.create(owner=holder.user, type="claim.decided", payload={})
    delivery = WebhookDelivery.objects.create(event=event, endpoint=first, status="failed", attempts=10)
    client.force_login(holder.user)

    answer = client.post(reverse("webhooks:redeliver", args=[second.pk, delivery.pk]))

    assert answer.status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == "failed"


# --- API ------------------------------------------------------------------------------------------------------


def test_the_api_lists_adds_rotates_and_deletes_endpoints(bearer):
    holder = make_complainant()
    writer = bearer(holder.user, scopes=("read", "file"))

    added = writer.post(
        "/api/v1/webhooks/", {"url": "https://hooks.example.com/ipp", "events": ["claim.decided"]}, format="json"
    )
    pk = added.json()["id"]
    listed = writer.get("/api/v1/webhooks/")
    one = writer.get(f"/api/v1/webhooks/{pk}/")
    rotated = writer.post(f"/api/v1/webhooks/{pk}/rotate-secret/")
    endpoint = WebhookEndpoint.objects.get(pk=pk)

    assert added.status_code == 201
    assert added.json()["secret"].startswith("whsec_")
    assert [e["id"] for e in listed.json()] == [pk]
    assert "secret" not in listed.json()[0]
    assert "secret" not in one.json()
    assert one.json()["events"] == ["claim.decided"]
    assert rotated.status_code == 200
    assert rotated.json()["secret"] == endpoint.secret != added.json()["secret"]
    assert endpoint.previous_secret == added.json()["secret"]
    assert writer.delete(f"/api/v1/webhooks/{pk}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_the_api_refuses_bad_input_in_the_one_error_shape(bearer):
    writer = bearer(make_complainant().user, scopes=("read", "file"))

    insecure = writer.post("/api/v1/webhooks/", {"url": "http://hooks.example.com/", "events": ["claim.decided"]},
                           format="json")  # fmt: skip
    unknown = writer.post("/api/v1/webhooks/", {"url": "https://hooks.example.com/", "events": ["nope"]},
                          format="json")  # fmt: skip

    assert insecure.status_code == unknown.status_code == 400
    assert insecure.json()["fields"]["url"]
    assert "events" in unknown.json()["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_the_api_keeps_endpoints_to_their_owner_and_scopes(bearer):
    holder = make_complainant()
    endpoint, secret = services.webhook_endpoint_create(
        user=holder.user, url="https://hooks.example.com/", events=["claim.decided"]
    )
    other = bearer(make_complainant(legal_name="Other").user, scopes=("read", "file"))
    seller = bearer(SellerFactory().user)
    reader = bearer(holder.user)
    token, revoked_secret = api_token_create(user=holder.user, name="Old", scopes=["read", "file"])
    api_token_revoke(user=holder.user, token_id=token.pk)
    revoked = Client(HTTP_AUTHORIZATION=f"Bearer {revoked_secret}")
    nobody = Client()
    url = f"/api/v1/webhooks/{endpoint.pk}/"

    assert reader.get(url).status_code == 200
    assert [e["id"] for e in reader.get("/api/v1/webhooks/").json()] == [endpoint.pk]
    assert other.get(url).status_code == 404
    assert other.delete(url).status_code == 404
    assert other.post(f"{url}rotate-secret/").status_code == 404
    assert other.get("/api/v1/webhooks/").json() == []
    assert seller.get("/api/v1/webhooks/").json() == []
    assert seller.get(url).status_code == 404
    assert seller.post("/api/v1/webhooks/", {"url": "https://x.example.com/", "events": ["claim.decided"]},
                       format="json").status_code == 403  # fmt: skip
    assert reader.delete(url).status_code == 403  # the read scope does not change anything
    assert reader.post(f"{url}rotate-secret/").status_code == 403
    assert reader.post("/api/v1/webhooks/", {"url": "https://x.example.com/", "events": ["claim.decided"]},
                       format="json").status_code == 403  # fmt: skip
    assert revoked.get(url).status_code == 401
    assert revoked.delete(url).status_code == 401
    assert nobody.get("/api/v1/webhooks/").status_code == 401
    assert nobody.delete(url).status_code == 401
    endpoint.refresh_from_db()
    assert endpoint.secret == secret
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_row_send_it_once(receiver):
    """The sweep, a redelivery and a duplicated task taking the same delivery at once: one request is sent."""
    from tests.threads import run_together

    holder = make_complainant()
    endpoint, _ = endpoint_for(holder.user, receiver.url(), ["claim.decided"])
    event = WebhookEvent.objects.create(owner=holder.user, type="claim.decided", payload={"data": {}})
    delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint)

    errors = run_together(*[lambda: services.webhook_deliver(delivery.pk)] * 4)

    delivery.refresh_from_db()
    assert errors == []
    assert receiver.event_ids() == [str(event.event_id)]
    assert delivery.status == "delivered"
    assert delivery.attempts == 1
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 1
