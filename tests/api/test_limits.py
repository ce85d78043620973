"""The API's limits as data: the daily link quota (race-safe on PostgreSQL) and the request rate shared by every
token of one complainant, both defaulting to the settings and overridable per complainant (ApiLimits, admin)."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.test import Client
from rest_framework.test import APIClient

from complaints.api.limits import api_limits_save, links_filed_today, seconds_to_utc_midnight
from complaints.api.models import ApiLimits, ApiLinkCount
from complaints.api.services import api_token_create
from complaints.api.throttles import PerComplainant
from complaints.models import Claim, ClaimItem, Complainant, IPRight
from ipp_portal.audit.models import AuditEvent
from ipp_portal.errors import NotPermitted
from ipp_portal.notifications.models import Notification
from tests.factories import ListingFactory, UserFactory, make_complainant, make_right, make_staff
from tests.threads import run_together

SWORN = {
    "states_good_faith": True,
    "states_accuracy": True,
    "states_authority_under_perjury": True,
    "agrees_to_indemnify": True,
    "signature_name": "Jane Doe",
}


def client_for(user, scopes=("read", "file")) -> APIClient:
    _token, secret = api_token_create(user=user, name="Vendor", scopes=scopes)
    client = APIClient(REMOTE_ADDR="198.51.100.7")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def claim_body(right, links: list[str], *, submit: bool = True, sworn: bool = True) -> dict:
    body = {
        "submit": submit, "right": right.pk, "site": "alibaba", "reason_code": "tm_counterfeit",
        "explanation": "Counterfeit goods.", "links": links,
    }  # fmt: skip
    return {**body, **SWORN} if sworn else body


def file(client, right, count, **headers):
    body = claim_body(right, [x.url for x in ListingFactory.create_batch(count)])
    return client.post("/api/v1/claims/", body, format="json", **headers)


@dataclass
class Filer:
    holder: Complainant
    right: IPRight
    client: APIClient

    def file(self, count: int, **headers):
        return file(self.client, self.right, count, **headers)


@pytest.fixture
def filer() -> Filer:
    """A verified complainant with a verified right and a token that may file."""
    holder = make_complainant()
    return Filer(holder, make_right(holder), client_for(holder.user))


def filed() -> tuple[int, int, int, int]:
    return Claim.objects.count(), ClaimItem.objects.count(), AuditEvent.objects.count(), Notification.objects.count()


@pytest.mark.django_db
def test_the_quota_at_its_edge(settings, filer):
    settings.API_LINKS_PER_DAY = 5

    assert filer.file(2).status_code == 201
    assert filer.file(3).status_code == 201  # exactly the quota
    before = filed()
    refused = filer.file(1)

    assert refused.status_code == 429
    assert refused.json()["code"] == "link_quota_exceeded"
    assert set(refused.json()) == {"code", "message", "fields"}
    assert abs(int(refused["Retry-After"]) - seconds_to_utc_midnight()) <= 2
    assert filed() == before  # nothing filed, no audit row, no notice
    assert links_filed_today(filer.holder.pk) == 5


@pytest.mark.django_db
def test_a_claim_that_would_go_over_the_quota_is_not_filed_at_all(settings, filer):
    settings.API_LINKS_PER_DAY = 5
    assert filer.file(3).status_code == 201
    before = filed()

    refused = filer.file(3)  # 3 + 3 > 5: the links fit no claim today, not even in part

    assert refused.status_code == 429
    assert "2 more can be" in refused.json()["message"]
    assert filed() == before
    assert links_filed_today(filer.holder.pk) == 3
    assert filer.file(2).status_code == 201  # what is left can still be filed


@pytest.mark.django_db
def test_the_quota_is_the_complainants_whatever_the_token_and_others_have_their_own(settings):
    settings.API_LINKS_PER_DAY = 2
    holder, other = make_complainant(), make_complainant(legal_name="Other")
    right, other_right = make_right(holder), make_right(other)

    assert file(client_for(holder.user), right, 2).status_code == 201
    assert file(client_for(holder.user), right, 1).status_code == 429  # a new token does not buy more links
    assert file(client_for(other.user), other_right, 2).status_code == 201


@pytest.mark.django_db
def test_a_complainants_own_limit_overrides_the_default(settings, filer):
    settings.API_LINKS_PER_DAY = 100
    api_limits_save(
        actor=UserFactory(is_superuser=True), complainant_id=filer.holder.pk, links_per_day=1, requests_per_minute=None
    )

    assert filer.file(2).status_code == 429
    assert filer.file(1).status_code == 201


@pytest.mark.django_db
def test_a_replay_is_not_charged_again(settings, filer):
    settings.API_LINKS_PER_DAY = 2
    body = claim_body(filer.right, [x.url for x in ListingFactory.create_batch(2)])

    first = filer.client.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="once")
    replay = filer.client.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="once")

    assert first.status_code == replay.status_code == 201
    assert replay.json()["id"] == first.json()["id"]
    assert links_filed_today(filer.holder.pk) == 2


@pytest.mark.django_db
def test_drafts_and_refused_claims_use_no_quota(settings, filer):
    settings.API_LINKS_PER_DAY = 2
    client, links = filer.client, [x.url for x in ListingFactory.create_batch(2)]

    draft = client.post("/api/v1/claims/", claim_body(filer.right, links, submit=False, sworn=False), format="json")
    unsworn = client.post("/api/v1/claims/", claim_body(filer.right, links, sworn=False), format="json")

    assert draft.status_code == 201
    assert unsworn.status_code == 400
    assert links_filed_today(filer.holder.pk) == 0
    assert client.post(f"/api/v1/claims/{draft.json()['id']}/submit/", SWORN, format="json").status_code == 201
    assert links_filed_today(filer.holder.pk) == 2


@pytest.mark.django_db
def test_a_filing_through_the_claim_form_does_not_use_the_api_quota(settings):
    from tests.factories import make_claim

    settings.API_LINKS_PER_DAY = 1
    holder = make_complainant()
    make_claim(holder, listings=ListingFactory.create_batch(3))

    assert links_filed_today(holder.pk) == 0
    assert file(client_for(holder.user), make_right(holder, registration_number="UK00000000009"), 1).status_code == 201


def test_seconds_to_midnight_utc():
    assert seconds_to_utc_midnight(datetime(2026, 11, 30, 23, 59, 0, tzinfo=UTC)) == 61
    assert seconds_to_utc_midnight(datetime(2026, 11, 30, 0, 0, 0, tzinfo=UTC)) == 86401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_submissions_never_exceed_the_quota(settings, round_, filer):
    settings.API_LINKS_PER_DAY = 7
    holder, right = filer.holder, filer.right
    assert filer.file(1).status_code == 201  # today's counter row exists: they race on it
    batches = [[x.url for x in ListingFactory.create_batch(3)] for _ in range(4)]
    clients = [client_for(holder.user) for _ in batches]  # several tokens: the quota is the complainant's
    answers: list[int] = []

    def submit(client, links):
        def call():
            answers.append(client.post("/api/v1/claims/", claim_body(right, links), format="json").status_code)

        return call

    errors = run_together(*(submit(c, links) for c, links in zip(clients, batches, strict=True)))

    assert errors == []
    assert sorted(answers) == [201, 201, 429, 429]  # 1 + 3 + 3 = 7: two of the four fit, never a third
    assert ClaimItem.objects.filter(claim__complainant=holder).count() == 7
    assert ApiLinkCount.objects.get(complainant=holder).links == 7


@pytest.mark.django_db
def test_the_request_rate_is_shared_by_every_token_of_a_complainant(monkeypatch):
    monkeypatch.setattr(PerComplainant, "THROTTLE_RATES", {"complainant": "3/min"})
    holder, other = make_complainant(), make_complainant(legal_name="Other")
    first, second = client_for(holder.user), client_for(holder.user)

    answers = [first.get("/api/v1/rights/"), second.get("/api/v1/rights/"), first.get("/api/v1/rights/"),
               second.get("/api/v1/rights/")]  # fmt: skip

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json()["code"] == "throttled"
    assert set(answers[3].json()) == {"code", "message", "fields"}
    assert 0 < int(answers[3]["Retry-After"]) <= 61
    assert client_for(other.user).get("/api/v1/rights/").status_code == 200


@pytest.mark.django_db
def test_a_complainants_own_request_rate_overrides_the_default():
    holder = make_complainant()
    ApiLimits.objects.create(complainant=holder, requests_per_minute=1)
    client = client_for(holder.user)

    assert [client.get("/api/v1/rights/").status_code for _ in range(2)] == [200, 429]


@pytest.mark.django_db
def test_a_seller_has_the_per_token_rate_only(monkeypatch):
    from tests.factories import SellerFactory

    monkeypatch.setattr(PerComplainant, "THROTTLE_RATES", {"complainant": "1/min"})
    client = client_for(SellerFactory().user, scopes=("read",))

    assert [client.get("/api/v1/seller/notices/").status_code for _ in range(2)] == [200, 200]


@pytest.mark.django_db
def test_only_staff_granted_the_permission_change_the_limits():
    holder = make_complainant()

    with pytest.raises(NotPermitted):
        api_limits_save(actor=make_staff("Supervisor"), complainant_id=holder.pk, links_per_day=9,
                        requests_per_minute=9)  # fmt: skip

    assert not ApiLimits.objects.exists()
    assert not AuditEvent.objects.filter(verb="api_limits.changed").exists()


@pytest.mark.django_db
def test_a_superuser_sets_the_limits_in_the_admin_and_it_is_audited():
    holder = make_complainant()
    admin = UserFactory(is_staff=True, is_superuser=True)
    supervisor = make_staff("Supervisor")
    browser = Client()
    browser.force_login(supervisor)
    assert browser.get("/admin/api/apilimits/add/").status_code == 403
    browser.force_login(admin)

    response = browser.post(
        "/admin/api/apilimits/add/", {"complainant": holder.pk, "links_per_day": 20000, "requests_per_minute": ""}
    )

    assert response.status_code == 302
    limits = ApiLimits.objects.get(complainant=holder)
    assert (limits.links_per_day, limits.requests_per_minute) == (20000, None)
    event = AuditEvent.objects.get(verb="api_limits.changed")
    assert event.actor_id == admin.pk
    assert event.data == {
        "before": {"links_per_day": None, "requests_per_minute": None},
        "after": {"links_per_day": 20000, "requests_per_minute": None},
    }
