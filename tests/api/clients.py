"""Clients for the API tests: one per kind of caller the endpoints are requested by."""

from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from complaints import services
from complaints.api.services import api_token_create, api_token_revoke
from listings.models import Site
from tests.factories import make_complainant, make_document, make_right, make_staff, seen

# Who calls, for the matrix tests: the owner's token, another complainant's, an agent's, a seller's (all with every
# scope their account may hold), the owner's revoked token, no token, and the owner's token without the scope needed.
WHO = ["own", "other", "agent", "seller", "revoked", "none", "wrong_scope"]


def token_client(user, scopes=("read",), *, revoked: bool = False) -> APIClient:
    token, secret = api_token_create(user=user, name="Tests", scopes=scopes)
    if revoked:
        api_token_revoke(user=user, token_id=token.pk)
    client = APIClient(REMOTE_ADDR="198.51.100.7")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def client_as(who: str, users: dict, *, needs: str, all_scopes=("read", "file", "answer")) -> APIClient:
    """The client ``who`` calls with; ``users`` maps own/other/agent/seller to users; ``needs`` is the scope the
    endpoint requires (the wrong-scope token has every other one). Sellers may only hold read tokens."""
    if who == "none":
        return APIClient(REMOTE_ADDR="198.51.100.7")
    if who == "seller":
        return token_client(users["seller"], ["read"])
    if who == "revoked":
        return token_client(users["own"], all_scopes, revoked=True)
    if who == "wrong_scope":
        return token_client(users["own"], [s for s in all_scopes if s != needs])
    return token_client(users[who], all_scopes)


def make_agent_for(right_title: str = "COVERED", **fields):
    """An agent with a verified authorization covering one right of its vault on Alibaba: (agent, right)."""
    agent = make_complainant(role="vendor", legal_name=fields.pop("legal_name", "Brand Guard"))
    right = make_right(agent, registration_number=fields.pop("registration_number", "UK00000000001"), title=right_title)
    today = timezone.localdate()
    authorization = services.authorization_register(
        agent=agent, rights=[right], sites=[Site.objects.get(code="alibaba")],
        letter=make_document(agent.user, "letter.pdf"), owner_name="Owner Ltd",
        valid_from=today - timedelta(days=1), valid_until=today + timedelta(days=365),
    )  # fmt: skip
    services.authorization_verify(
        authorization_id=authorization.pk, reviewer=make_staff("Reviewer"), seen=seen(authorization)
    )
    return agent, right
