import pytest

from complaints.api.throttles import PerToken
from tests.factories import make_complainant

pytestmark = pytest.mark.django_db


def test_a_token_over_its_rate_is_told_when_to_come_back(bearer, monkeypatch):
    monkeypatch.setattr(PerToken, "THROTTLE_RATES", {"token": "2/min"})
    user = make_complainant().user
    client, other = bearer(user), bearer(user)

    answers = [client.get("/api/v1/rights/") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "throttled"
    assert set(answers[2].json()) == {"code", "message", "fields"}
    assert 0 < int(answers[2]["Retry-After"]) <= 61
    assert other.get("/api/v1/rights/").status_code == 200  # the limit is per token
