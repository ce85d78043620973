"""Every URL the portal serves, requested by every kind of account with other parties' ids, by GET and by POST.

A request fails the matrix when it answers 2xx to a role that may not see the page, when it changes any table for
a role that may not change it (every table is fingerprinted before and after), when its body carries a marker of
something the role may not see (claims, counter-notices, appeals and document bytes carry unique markers), or when
it answers 5xx. URL patterns are found by walking the resolver, so a new URL without an entry here fails the test.
"""

import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from complaints import services
from complaints.api.services import api_token_create
from complaints.api.webhooks.services import webhook_endpoint_create
from complaints.seen import seen_token
from enforcement import services as enforcement_services
from enforcement.models import Policy
from ipp_portal.notifications.models import Notification
from listings.models import Site
from tests.factories import (
    PDF_BYTES,
    ListingFactory,
    SellerFactory,
    UserFactory,
    make_complainant,
    make_document,
    make_right,
    make_staff,
)

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous", "complainant", "other_complainant", "agent", "seller", "other_seller",
    "reviewer", "supervisor", "auditor", "staff_no_role",
)  # fmt: skip
STAFF = frozenset({"reviewer", "supervisor", "auditor"})
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
NOBODY: frozenset[str] = frozenset()
# Tables a request may touch whoever sends it: sessions, sign-in attempt records, an API token's last use.
VOLATILE_TABLES = ("django_session", "axes_", "api_apitoken")


def pdf_with(marker: str) -> bytes:
    return PDF_BYTES.replace(b"%%EOF", f"% {marker}\n%%EOF".encode())


# Each marker appears in exactly one private thing; the roles allowed to see that thing.
MARKERS = {
    "MARK-CLAIM-A": {"complainant", "seller", *STAFF},  # the explanation: sellers read it in the notice
    "MARK-WAITING": {"complainant", *STAFF},  # a claim waiting for its right has not gone out
    "MARK-DRAFT": {"complainant", *STAFF},
    "MARK-CLAIM-B": {"other_complainant", "other_seller", *STAFF},
    "MARK-CN-STATEMENT": {"seller", "complainant", *STAFF},
    "MARK-DOC-EVIDENCE": {"complainant", *STAFF},
    "MARK-DOC-UNSHARED": {"seller", *STAFF},  # counter-notice evidence the seller did not share
    "MARK-DOC-LETTER": {"agent", *STAFF},
    "MARK-DOC-APPEAL": {"seller", *STAFF},
    "MARK-APPEAL": {"seller", *STAFF},
    "MARK-LISTING-B": {"other_seller", "other_complainant", *STAFF},
    "MARK-CAPPEAL": {"complainant", *STAFF},  # a complainant's appeal against a rejection
    "MARK-SANCTION": {"complainant", *STAFF},  # staff's reason for a warning
}


class World(dict):
    """The objects the requests target, all owned by the complainant, the agent or the seller."""


def build_world() -> World:
    w = World()
    users = {role: UserFactory() for role in ("complainant", "other_complainant", "agent", "seller", "other_seller")}
    users.update({role: make_staff(role.capitalize()) for role in STAFF})
    users["staff_no_role"] = UserFactory(is_staff=True)
    users["anonymous"] = None
    w["users"] = users
    setup_staff = make_staff("Supervisor")
    alibaba = Site.objects.get(code="alibaba")
    statements = dict.fromkeys(services.claims.STATEMENTS, True)

    holder = make_complainant(user=users["complainant"])
    other = make_complainant(user=users["other_complainant"], legal_name="Other Holder")
    agent = make_complainant(user=users["agent"], role="vendor", legal_name="Brand Guard")
    seller = SellerFactory(user=users["seller"], store_name="Seller A")
    other_seller = SellerFactory(user=users["other_seller"], store_name="Seller B")
    listings = [ListingFactory(seller=seller) for _ in range(4)]
    listing_b = ListingFactory(seller=other_seller, title="MARK-LISTING-B")
    right = make_right(holder)
    evidence = make_document(holder.user, "evidence.pdf", pdf_with("MARK-DOC-EVIDENCE"))

    def submit(who, links, explanation, right_=None, evidence_=()):
        return services.claim_submit(
            complainant=who, user=who.user, token=uuid.uuid4(), right=right_ or make_right(who), site=alibaba,
            reason_code="tm_counterfeit", explanation=explanation, links_text="\n".join(x.url for x in links),
            signature_name="Signer", ip="192.0.2.1", statements=statements, evidence=evidence_,
        )  # fmt: skip

    claim = submit(holder, listings[:2], "MARK-CLAIM-A", right, [evidence])
    items = list(claim.items.order_by("position"))
    services.claim_items_take_down(claim_id=claim.pk, item_ids=[items[0].pk], reviewer=setup_staff, seen=_state(claim))
    unshared = make_document(seller.user, "invoice.pdf", pdf_with("MARK-DOC-UNSHARED"))
    notice = services.counter_notice_file(
        user=seller.user, item_ids=[items[0].pk], reason="genuine_goods", statement="MARK-CN-STATEMENT",
        signature_name="Seller", ip="192.0.2.2", token=uuid.uuid4(), documents=[unshared],
        states_good_faith_mistake=True, consents_to_jurisdiction=True,
    )  # fmt: skip
    pending_right = make_right(holder, status="pending", registration_number="UK00009999999", title="WAITING")
    waiting = submit(holder, [listings[2]], "MARK-WAITING", pending_right)
    draft = services.claim_save_draft(complainant=holder, site=alibaba, right=right, explanation="MARK-DRAFT")
    claim_b = submit(other, [listing_b], "MARK-CLAIM-B")
    letter = make_document(agent.user, "letter.pdf", pdf_with("MARK-DOC-LETTER"))
    authorization = services.authorization_register(
        agent=agent, rights=[make_right(agent, registration_number="UK00007777777")], sites=[alibaba], letter=letter,
        owner_name="Owner Ltd", valid_from=date(2026, 1, 1), valid_until=date(2030, 1, 1),
    )  # fmt: skip
    action = enforcement_services.action_impose(
        seller=seller, kind="warning", reason="Repeated fakes", ground="Policy §3", actor=setup_staff
    )
    appeal_doc = make_document(seller.user, "appeal.pdf", pdf_with("MARK-DOC-APPEAL"))
    appeal = enforcement_services.appeal_file(
        action_id=action.pk, user=seller.user, statement="MARK-APPEAL", documents=[appeal_doc]
    )
    rejected_claim = submit(holder, [listings[3]], "A claim staff rejected", right)
    rejected_item = rejected_claim.items.get()
    services.claim_items_reject(
        claim_id=rejected_claim.pk, item_ids=[rejected_item.pk], reviewer=setup_staff, code="not_infringing",
        seen=_state(rejected_claim), note="No evidence",
    )  # fmt: skip
    complainant_appeal = services.complainant_appeal_file(
        user=holder.user, claim_id=rejected_claim.pk, item_ids=[rejected_item.pk], statement="MARK-CAPPEAL"
    )
    sanction = services.complainant_sanction_impose(
        complainant_id=holder.pk, site=alibaba, kind="warning", actor=setup_staff, reason="MARK-SANCTION"
    )
    reseller = services.authorised_seller_declare(
        user=holder.user, right_id=right.pk, seller=other_seller, authorised_from=date(2026, 1, 1)
    )
    pending_identity = make_complainant(status="pending", legal_name="Pending Person")
    policy_draft = enforcement_services.policy_new_version(
        policy_id=Policy.objects.get(site=alibaba, is_current=True).pk, actor=setup_staff
    )
    hold = services.litigation_hold_place(
        actor=setup_staff, listing_id=listings[3].pk, court="High Court", case_reference="IL-1", reason="Sued."
    )
    w.update(
        holder=holder, seller=seller, listings=listings, claim=claim, items=items, notice=notice, waiting=waiting,
        draft=draft, claim_b=claim_b, evidence=evidence, unshared=unshared, letter=letter, appeal_doc=appeal_doc,
        authorization=authorization, action=action, appeal=appeal, right=right, pending_right=pending_right,
        pending_identity=pending_identity, policy_draft=policy_draft, trust=proposed_trust(holder, alibaba), hold=hold,
        rejected_claim=rejected_claim, rejected_item=rejected_item, complainant_appeal=complainant_appeal,
        sanction=sanction, reseller=reseller,
        notification=Notification.objects.filter(recipient=holder.user).order_by("pk").first(),
        api_token=api_token_create(user=holder.user, name="Monitoring", scopes=["read"])[0],
        webhook=(webhook := webhook_endpoint_create(user=holder.user, url="https://hooks.example.com/ipp",
                                                    events=["right.expiring"])[0]),
        webhook_delivery=failed_delivery(webhook),
        decision_batch=services.decision_batch_queue(
            claim_id=claim.pk, reviewer=setup_staff, decision="reject_items", item_ids=[items[1].pk],
            seen=_state(claim), code="not_infringing",
        ),
        # A read token for every signed-in role: the API's entries are requested with it as well as with a session.
        secrets={role: api_token_create(user=user, name="Matrix", scopes=["read"])[1]
                 for role, user in users.items() if user is not None},
    )  # fmt: skip
    return w


def failed_delivery(endpoint):
    """A delivery whose attempts ran out, as the worker leaves one (without contacting any server)."""
    from complaints.api.models import WebhookDelivery, WebhookEvent

    event = WebhookEvent.objects.create(owner=endpoint.owner, type="right.expiring", payload={"data": {}})
    return WebhookDelivery.objects.create(event=event, endpoint=endpoint, status="failed", attempts=10)


def proposed_trust(holder, site):
    """A trusted-programme proposal, as the sweep leaves one."""
    from complaints.models import Trust
    from ipp_portal.audit.services import record

    trust = Trust.objects.create(complainant=holder, site=site, figures={"items_decided": 20})
    record(actor=None, verb="trust.proposed", target=trust, after=trust.status)
    return trust


def _state(obj):
    from complaints.seen import seen_state

    return seen_state(type(obj).objects.get(pk=obj.pk))


@dataclass
class Case:
    """One request: the URL's arguments and form data, and who may see (2xx) or change (tables) anything."""

    kwargs: Callable[[World], dict] = lambda w: {}
    data: Callable[[World], dict] = lambda w: {}
    get: frozenset = NOBODY
    post: frozenset = NOBODY
    changes: frozenset | None = None  # who may change tables by POST (default: those who may POST)
    label: str = ""
    methods: tuple[str, ...] = ("GET", "POST")
    audited: bool = False  # seeing it writes an audit row (document downloads): not a change by the viewer
    bearer: bool = False  # sent with the role's API token instead of a session

    @property
    def may_change(self) -> frozenset:
        return self.post if self.changes is None else self.changes


def case(**kw) -> list[Case]:
    for key in ("get", "post", "changes"):
        if key in kw and kw[key] is not None:
            kw[key] = frozenset(kw[key])
    return [Case(**kw)]


def owner(role, pk=None, data=None, get=True, post=True, **kw) -> list[Case]:
    """A page about one object of ``role``: only they may see or act on it."""
    return case(
        kwargs=(lambda w: {"pk": pk(w)}) if pk else (lambda w: {}),
        data=data or (lambda w: {}),
        get={role} if get else NOBODY,
        post={role} if post else NOBODY,
        **kw,
    )


def claim_pk(w):
    return w["claim"].pk


PUBLIC_PAGES = {
    "": case(get=EVERYONE, post=NOBODY),
    "healthz": case(get=EVERYONE),
    "ping": case(get=EVERYONE, post=EVERYONE, changes=NOBODY),
    "accounts/signup/": case(get=EVERYONE, post=EVERYONE),
    "accounts/verify/<str:uidb64>/<str:token>/": case(
        kwargs=lambda w: {"uidb64": "MQ", "token": "bad-token"}, get=EVERYONE, post=NOBODY
    ),
    "accounts/verify/resend/": case(get=EVERYONE, post=EVERYONE),
    "accounts/login/": case(get=EVERYONE, post=EVERYONE),
    "accounts/logout/": case(post=EVERYONE, changes=NOBODY),
    "accounts/password/change/": case(get=SIGNED_IN, post=SIGNED_IN),
    "accounts/password/change/done/": case(get=SIGNED_IN, post=NOBODY),
    "accounts/password/reset/": case(get=EVERYONE, post=EVERYONE),
    "accounts/password/reset/sent/": case(get=EVERYONE),
    "accounts/password/reset/<str:uidb64>/<str:token>/": case(
        kwargs=lambda w: {"uidb64": "MQ", "token": "bad-token"}, get=EVERYONE, post=EVERYONE
    ),
    "accounts/password/reset/complete/": case(get=EVERYONE),
    # The published policy and each site's enforcement rules, every version in force at some time: read-only.
    "policy/": case(get=EVERYONE),
    "policy/<slug:code>/": case(kwargs=lambda w: {"code": "alibaba"}, get=EVERYONE),
    "policy/<slug:code>/v<int:version>/": case(kwargs=lambda w: {"code": "alibaba", "version": 1}, get=EVERYONE),
}
# Pages every signed-in person may open: each shows only the person's own things (or says they have none).
OWN_PAGES = {
    "inbox/": case(get=SIGNED_IN),
    "inbox/read-all/": case(post=SIGNED_IN),
    "seller/standing/": case(get=SIGNED_IN),
    "seller/notices/": case(get=SIGNED_IN),
    "seller/": case(get=SIGNED_IN),
    "seller/stores/new/": case(get=SIGNED_IN, post=SIGNED_IN),
    "seller/listings/": case(get=SIGNED_IN),
    "seller/listings/new/": case(get=SIGNED_IN, post=SIGNED_IN),
    "rights/": case(get=SIGNED_IN),
    "rights/profile/": case(get=SIGNED_IN, post=SIGNED_IN),
    "rights/rights/new/": case(get=SIGNED_IN, post=SIGNED_IN),
    "rights/authorizations/new/": case(get=SIGNED_IN, post=SIGNED_IN),
    "rights/authorizations/letter-template.txt": case(get={"agent"}),
    "rights/counter-notices/": case(get=SIGNED_IN),
    "rights/claims/": case(get=SIGNED_IN),
    "rights/claims/new/": case(get=SIGNED_IN, post=SIGNED_IN),
    "accounts/api-tokens/": case(get=SIGNED_IN, post=SIGNED_IN),
    "accounts/webhooks/": case(get=SIGNED_IN, post=SIGNED_IN),
}
# The API takes a bearer token, never the session: a signed-in browser is refused (401) like anyone else. With
# the role's read token, lists answer everyone signed in (each their own, the markers check what shows) and a
# detail only its owner. Revoked tokens and the seller's view: tests/api/test_endpoints.py.
API_PAGES = {
    "api/v1/schema/": case(get=EVERYONE),
    "api/v1/docs/": case(get=EVERYONE),
    "api/v1/rights/": case() + case(bearer=True, label="token", get=SIGNED_IN),
    "api/v1/rights/<int:pk>/": case(kwargs=lambda w: {"pk": w["right"].pk})
    + case(bearer=True, label="token", kwargs=lambda w: {"pk": w["right"].pk}, get={"complainant"}),
    "api/v1/claims/": case() + case(bearer=True, label="token", get=SIGNED_IN),
    "api/v1/claims/<int:pk>/": case(kwargs=lambda w: {"pk": w["claim"].pk})
    + case(bearer=True, label="token", kwargs=lambda w: {"pk": w["claim"].pk}, get={"complainant"}),
    "api/v1/seller/notices/": case() + case(bearer=True, label="token", get=SIGNED_IN),
    # Webhooks: reading with the read token (each their own list; a detail only its owner); adding, rotating and
    # deleting need the file scope, so the matrix's read tokens change nothing (tests/api/test_webhooks.py).
    "api/v1/webhooks/": case() + case(bearer=True, label="token", get=SIGNED_IN),
    "api/v1/webhooks/<int:pk>/": case(kwargs=lambda w: {"pk": w["webhook"].pk})
    + case(bearer=True, label="token", kwargs=lambda w: {"pk": w["webhook"].pk}, get={"complainant"}),
    "api/v1/webhooks/<int:pk>/rotate-secret/": case(kwargs=lambda w: {"pk": w["webhook"].pk})
    + case(bearer=True, label="token", kwargs=lambda w: {"pk": w["webhook"].pk}),
    # Filing takes a token with the file scope: the matrix's read tokens (and sessions) are refused by everyone,
    # for the owner's own objects too. Own, other, agent, seller, revoked and scope: tests/api/test_filing.py.
    "api/v1/link-check/": case() + case(bearer=True, label="token"),
    "api/v1/claims/<int:pk>/submit/": case(kwargs=lambda w: {"pk": w["draft"].pk})
    + case(bearer=True, label="token", kwargs=lambda w: {"pk": w["draft"].pk}),
    "api/v1/claims/<int:pk>/withdraw/": case(kwargs=lambda w: {"pk": w["claim"].pk})
    + case(bearer=True, label="token", kwargs=lambda w: {"pk": w["claim"].pk}),
    "api/v1/items/<int:pk>/withdraw/": case(kwargs=lambda w: {"pk": w["items"][1].pk})
    + case(bearer=True, label="token", kwargs=lambda w: {"pk": w["items"][1].pk}),
    "api/v1/items/<int:pk>/retract/": case(kwargs=lambda w: {"pk": w["items"][0].pk})
    + case(bearer=True, label="token", kwargs=lambda w: {"pk": w["items"][0].pk}),
    "api/v1/seller/notices/<int:pk>/": case(kwargs=lambda w: {"pk": w["items"][0].pk})
    + case(bearer=True, label="token", kwargs=lambda w: {"pk": w["items"][0].pk}, get={"seller"}),
    "api/v1/seller/standing/": case() + case(bearer=True, label="token", get=SIGNED_IN),
    "api/v1/counter-notices/": case() + case(bearer=True, label="token", get=SIGNED_IN),
    "api/v1/counter-notices/<int:pk>/": case(kwargs=lambda w: {"pk": w["notice"].pk})
    + case(bearer=True, label="token", kwargs=lambda w: {"pk": w["notice"].pk}, get={"complainant"}),
    # Answering needs the answer scope and uploading the file scope: the matrix's read tokens are refused (403)
    # whoever holds them. The answering owner and everyone else with full tokens: tests/api/test_answers.py and
    # tests/api/test_documents.py.
    "api/v1/counter-notices/<int:pk>/accept/": case(kwargs=lambda w: {"pk": w["notice"].pk})
    + case(bearer=True, label="read token", kwargs=lambda w: {"pk": w["notice"].pk}),
    "api/v1/counter-notices/<int:pk>/reject/": case(
        kwargs=lambda w: {"pk": w["notice"].pk}, data=lambda w: {"reason": "x"}
    )
    + case(bearer=True, label="read token", kwargs=lambda w: {"pk": w["notice"].pk}, data=lambda w: {"reason": "x"}),
    "api/v1/documents/": case() + case(bearer=True, label="read token"),
    "api/v1/documents/<int:pk>/": case(kwargs=lambda w: {"pk": w["evidence"].pk})
    + case(bearer=True, label="read token", kwargs=lambda w: {"pk": w["evidence"].pk}),
}
OTHERS_PAGES = {
    "accounts/api-tokens/<int:pk>/revoke/": owner("complainant", lambda w: w["api_token"].pk),
    "accounts/webhooks/<int:pk>/": owner("complainant", lambda w: w["webhook"].pk, post=False),
    "accounts/webhooks/<int:pk>/rotate-secret/": owner("complainant", lambda w: w["webhook"].pk),
    "accounts/webhooks/<int:pk>/delete/": owner("complainant", lambda w: w["webhook"].pk),
    "accounts/webhooks/<int:pk>/disable/": owner("complainant", lambda w: w["webhook"].pk, get=False),
    "accounts/webhooks/<int:pk>/enable/": owner("complainant", lambda w: w["webhook"].pk, get=False),
    "accounts/webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver/": case(
        kwargs=lambda w: {"pk": w["webhook"].pk, "delivery_pk": w["webhook_delivery"].pk}, post={"complainant"}
    ),
    "inbox/<int:pk>/": owner("complainant", lambda w: w["notification"].pk, post=False),
    "inbox/<int:pk>/open/": owner("complainant", lambda w: w["notification"].pk, get=False),
    "seller/standing/actions/<int:pk>/": owner("seller", lambda w: w["action"].pk, post=False),
    "seller/standing/actions/<int:pk>/appeal/": owner(
        "seller", lambda w: w["action"].pk, get=False, data=lambda w: {"statement": "Second appeal"}
    ),
    "seller/notices/claims/<int:claim_id>/counter-notice/": case(
        kwargs=lambda w: {"claim_id": w["claim"].pk}, get={"seller"}, post={"seller"}
    )
    + case(kwargs=lambda w: {"claim_id": w["waiting"].pk}, label="a claim that has not gone out", get=NOBODY),
    "seller/notices/claims/<int:claim_id>/not-disputed/": case(
        kwargs=lambda w: {"claim_id": w["claim"].pk}, get={"seller"}, post={"seller"}
    )
    + case(kwargs=lambda w: {"claim_id": w["waiting"].pk}, label="a claim that has not gone out", get=NOBODY),
    "seller/listings/<int:pk>/edit/": owner(
        "seller", lambda w: w["listings"][3].pk, data=lambda w: {"seller": w["seller"].pk, "title": "Changed"}
    ),
    "seller/listings/<int:pk>/delist/": owner("seller", lambda w: w["listings"][3].pk, get=False),
    "rights/rights/<int:pk>/": owner("complainant", lambda w: w["right"].pk, post=False),
    "rights/rights/<int:pk>/edit/": owner("complainant", lambda w: w["right"].pk),
    "rights/rights/<int:pk>/documents/": owner("complainant", lambda w: w["right"].pk, get=False),
    "rights/rights/<int:pk>/resellers/new/": owner(
        "complainant",
        lambda w: w["right"].pk,
        data=lambda w: {
            "site": w["seller"].site_id,
            "seller": w["seller"].member_id,
            "authorised_from": "2026-02-01",
        },
    ),
    "rights/rights/<int:pk>/resellers/<int:entry_pk>/end/": case(
        kwargs=lambda w: {"pk": w["right"].pk, "entry_pk": w["reseller"].pk},
        get={"complainant"},
        post={"complainant"},
    ),
    "rights/authorizations/<int:pk>/": owner("agent", lambda w: w["authorization"].pk, post=False),
    "rights/documents/<int:pk>/": case(
        kwargs=lambda w: {"pk": w["evidence"].pk}, get={"complainant", *STAFF}, label="claim evidence", audited=True
    )
    + case(kwargs=lambda w: {"pk": w["unshared"].pk}, get={"seller", *STAFF}, label="unshared evidence", audited=True)
    + case(kwargs=lambda w: {"pk": w["letter"].pk}, get={"agent", *STAFF}, label="authorization letter", audited=True)
    + case(kwargs=lambda w: {"pk": w["appeal_doc"].pk}, get={"seller", *STAFF}, label="appeal document", audited=True),
    "rights/counter-notices/<int:pk>/": owner(
        "complainant", lambda w: w["notice"].pk, data=lambda w: {"decision": "accept", "confirmed": "yes"}
    ),
    "rights/claims/<int:pk>/": owner("complainant", claim_pk, post=False),
    "rights/claims/<int:pk>/edit/": owner("complainant", lambda w: w["draft"].pk),
    "rights/claims/<int:pk>/receipt/": owner("complainant", claim_pk, post=False),
    "rights/claims/<int:pk>/items.csv": owner("complainant", claim_pk, post=False),
    "rights/claims/<int:pk>/withdraw/": owner("complainant", claim_pk, get=False, data=lambda w: {"confirmed": "yes"}),
    "rights/claims/<int:pk>/items/withdraw/": owner(
        "complainant", claim_pk, get=False, data=lambda w: {"item": w["items"][1].pk}
    ),
    "rights/claims/<int:pk>/items/retract/": owner(
        "complainant", claim_pk, get=False, data=lambda w: {"item": w["items"][0].pk, "confirmed": "yes"}
    ),
    "rights/claims/<int:pk>/answer/": owner("complainant", claim_pk, get=False, data=lambda w: {"answer": "x"}),
    "rights/claims/<int:pk>/delete/": owner("complainant", lambda w: w["draft"].pk, get=False),
    "rights/claims/<int:pk>/appeal/": owner(
        "complainant",
        lambda w: w["rejected_claim"].pk,
        data=lambda w: {"statement": "Second appeal", "items": [w["rejected_item"].pk]},
    ),
    "rights/sanctions/<int:pk>/": owner("complainant", lambda w: w["sanction"].pk, post=False),
    "rights/sanctions/<int:pk>/appeal/": owner(
        "complainant", lambda w: w["sanction"].pk, get=False, data=lambda w: {"statement": "Unfair"}
    ),
}


def perm_roles(w: World, *perms: str) -> frozenset:
    """The roles whose accounts hold every permission named (from their groups, as the migration set them)."""
    return frozenset(
        role
        for role, user in w["users"].items()
        if user is not None and user.is_staff and user.is_active and user.has_perms(perms)
    )


def any_perm_roles(w: World, *perms: str) -> frozenset:
    return frozenset().union(*(perm_roles(w, perm) for perm in perms))


def staff_pages(w: World) -> dict[str, list[Case]]:
    """The admin's own pages and the portal's custom staff views."""
    seen = lambda obj: {"seen": seen_token(type(obj).objects.get(pk=obj.pk))}  # noqa: E731
    staff_roles = perm_roles(w)  # every is_staff account, whatever its role
    role_members = STAFF
    pages = {
        "admin/": case(get=staff_roles, post=NOBODY),
        "admin/login/": case(get=EVERYONE, post=EVERYONE, changes=NOBODY),
        "admin/logout/": case(post=EVERYONE, changes=NOBODY),
        "admin/password_change/": case(get=staff_roles, post=staff_roles),
        "admin/password_change/done/": case(get=staff_roles),
        "admin/autocomplete/": case(get=NOBODY),
        "admin/jsi18n/": case(get=staff_roles, post=staff_roles, changes=NOBODY),
        "admin/r/<path:content_type_id>/<path:object_id>/": case(
            kwargs=lambda w: {"content_type_id": "1", "object_id": "1"}, get=NOBODY
        ),
        ADMIN_APP_INDEX: [
            Case(kwargs=lambda w, app=app: {"app_label": app}, get=role_members, label=app)
            for app in ("complaints", "enforcement", "listings", "documents", "audit", "notifications")
        ]
        # API limits are a superuser's (or a granted permission's): no staff role holds them.
        + [Case(kwargs=lambda w, app=app: {"app_label": app}, get=NOBODY, label=app) for app in NO_ROLE_APPS],
        "admin/accounts/user/<id>/password/": case(
            kwargs=lambda w: {"id": w["users"]["complainant"].pk},
            get=perm_roles(w, "accounts.change_user"),
            post=perm_roles(w, "accounts.change_user"),
        ),
        "admin/(?P<url>.*)$": case(kwargs=lambda w: {"url": "no-such-page/"}, get=NOBODY),
        "admin/complaints/claim/service-levels/": case(get=perm_roles(w, "complaints.view_claim")),
        "admin/complaints/claim/<int:pk>/batches/<int:batch_pk>/": case(
            kwargs=lambda w: {"pk": w["claim"].pk, "batch_pk": w["decision_batch"].pk},
            get=perm_roles(w, "complaints.view_claim"),
        ),
        "admin/complaints/claim/<int:pk>/decide/": case(
            kwargs=lambda w: {"pk": w["claim"].pk},
            data=lambda w: {"decision": "take_down", "items": [w["items"][1].pk], **seen(w["claim"])},
            post=perm_roles(w, "complaints.change_claim"),
        )
        + case(
            kwargs=lambda w: {"pk": w["claim"].pk},
            data=lambda w: {
                "decision": "reinstate_upheld",
                "items": [w["items"][0].pk],
                "note": "Error",
                "confirmed": "yes",
            },
            post=perm_roles(w, "complaints.change_claim"),
            changes=perm_roles(w, "complaints.reverse_removal"),
            label="reverse a removal",
        ),
        "admin/complaints/trust/<int:pk>/decide/": case(
            kwargs=lambda w: {"pk": w["trust"].pk},
            data=lambda w: {"decision": "decline", "reason": "Not yet."},
            post=perm_roles(w, "complaints.decide_trust"),
        ),
        "admin/enforcement/action/<int:pk>/decide/": case(
            kwargs=lambda w: {"pk": w["action"].pk},
            data=lambda w: {"decision": "refuse", "reason": "x"},
            post=perm_roles(w, "enforcement.change_action"),
        ),
        "admin/enforcement/pendingtermination/<int:pk>/decide/": case(
            kwargs=lambda w: {"pk": w["action"].pk},
            data=lambda w: {"decision": "refuse", "reason": "x"},
            post=perm_roles(w, "enforcement.change_action"),
        ),
        "admin/complaints/litigationhold/<int:pk>/lift/": case(
            kwargs=lambda w: {"pk": w["hold"].pk},
            data=lambda w: {"reason": "The case settled."},
            get=perm_roles(w, "complaints.change_litigationhold"),
            post=perm_roles(w, "complaints.change_litigationhold"),
        ),
        "admin/complaints/complainantsanction/impose/": case(
            data=lambda w: {
                "complainant": w["holder"].pk,
                "site": w["sanction"].site_id,
                "kind": "warning",
                "reason": "Forged evidence",
            },
            get=perm_roles(w, "complaints.sanction_complainant"),
            post=perm_roles(w, "complaints.sanction_complainant"),
        ),
        "admin/complaints/complainantsanction/<int:pk>/lift/": case(
            kwargs=lambda w: {"pk": w["sanction"].pk},
            data=lambda w: {"reason": "Issued in error"},
            post=perm_roles(w, "complaints.sanction_complainant"),
        ),
        "admin/listings/seller/<int:pk>/impose/": case(
            kwargs=lambda w: {"pk": w["seller"].pk},
            data=lambda w: {"kind": "warning", "ground": "Policy §3", "reason": "Court order"},
            get=perm_roles(w, "enforcement.add_action"),
            post=perm_roles(w, "enforcement.add_action"),
        ),
    }
    decide = {
        "complainant": (lambda w: w["pending_identity"], "verify"),
        "ipright": (lambda w: w["pending_right"], "verify"),
        "authorization": (lambda w: w["authorization"], "verify"),
    }
    for model, (target, decision) in decide.items():
        pages[f"admin/complaints/{model}/<int:pk>/decide/"] = case(
            kwargs=lambda w, target=target: {"pk": target(w).pk},
            data=lambda w, target=target, decision=decision: {"decision": decision, **seen(target(w))},
            post=perm_roles(w, f"complaints.change_{model}"),
        )
    documents = {
        "complainant": lambda w: (w["pending_identity"], w["pending_identity"].identity_documents.get()),
        "ipright": lambda w: (w["pending_right"], w["pending_right"].documents.get().document),
        "authorization": lambda w: (w["authorization"], w["letter"]),
    }
    for model, target in documents.items():
        pages[f"admin/complaints/{model}/<int:pk>/documents/<int:document_pk>/preview/"] = case(
            kwargs=lambda w, target=target: {"pk": target(w)[0].pk, "document_pk": target(w)[1].pk},
            get=perm_roles(w, f"complaints.view_{model}", "documents.view_document"),
            audited=True,
        )
    return pages


# Admin actions and the permission each needs to change anything; an action missing here fails the matrix.
ACTION_PERMISSIONS = {
    ("enforcement", "policy", "make_current"): "enforcement.activate_policy",
    ("enforcement", "policy", "copy_as_new_version"): "enforcement.add_policy",
    ("axes", "accessattempt", "cleanup_expired_attempts"): "axes.delete_accessattempt",
}
ACTION_TARGETS = {("enforcement", "policy"): lambda w: w["policy_draft"]}
MODEL_TARGETS = {
    ("complaints", "claim"): lambda w: w["claim"],
    ("complaints", "complainant"): lambda w: w["holder"],
    ("complaints", "counternotice"): lambda w: w["notice"],
    ("complaints", "authorization"): lambda w: w["authorization"],
    ("complaints", "complainantappeal"): lambda w: w["complainant_appeal"],
    ("complaints", "complainantsanction"): lambda w: w["sanction"],
    ("enforcement", "action"): lambda w: w["action"],
    ("enforcement", "appeal"): lambda w: w["appeal"],
    ("enforcement", "policy"): lambda w: w["policy_draft"],
    ("listings", "seller"): lambda w: w["seller"],
}


ADMIN_APP_INDEX = (
    "admin/^(?P<app_label>auth|axes|accounts|audit|notifications|documents|listings|enforcement|complaints|api)/$"
)
NO_ROLE_APPS = ("auth", "axes", "api")


def model_admin_pages(w: World) -> dict[str, list[Case]]:
    """The five standard pages of every registered model, and each admin action, from the role's permissions."""
    pages: dict[str, list[Case]] = {}
    for model, model_admin in admin.site._registry.items():
        app, name = model._meta.app_label, model._meta.model_name
        perm = lambda action, app=app, name=name: f"{app}.{action}_{name}"  # noqa: E731
        viewers = any_perm_roles(w, perm("view"), perm("change"))
        target = MODEL_TARGETS.get((app, name), lambda w, model=model: model._default_manager.order_by("pk").first())
        pk = lambda w, target=target: {"object_id": str(target(w).pk) if target(w) else "999999"}  # noqa: E731
        prefix = f"admin/{app}/{name}/"
        chosen = ACTION_TARGETS.get((app, name), target)
        actions = [
            Case(
                data=lambda w, action=action, chosen=chosen: {
                    "action": action,
                    "index": "0",
                    "_selected_action": [str(chosen(w).pk) if chosen(w) else "999999"],
                },
                methods=("POST",),
                post=viewers,
                changes=perm_roles(w, ACTION_PERMISSIONS.get((app, name, action), ""))
                if (app, name, action) in ACTION_PERMISSIONS
                else perm_roles(w, perm("delete")),
                label=f"action {action}",
            )
            for action in [*(model_admin.actions or ()), "delete_selected"]
        ]
        unknown = [a for a in (model_admin.actions or ()) if (app, name, a) not in ACTION_PERMISSIONS]
        assert not unknown, f"admin actions {unknown} on {app}.{name} have no entry in ACTION_PERMISSIONS"
        pages[prefix] = case(get=viewers, post=viewers, changes=NOBODY) + actions
        pages[f"{prefix}add/"] = case(get=perm_roles(w, perm("add")), post=perm_roles(w, perm("add")))
        pages[f"{prefix}<path:object_id>/change/"] = case(
            kwargs=pk,
            get=viewers,
            post=any_perm_roles(w, perm("change")) | (viewers if name == "appeal" else NOBODY),
            changes=perm_roles(w, perm("change")),
        )
        pages[f"{prefix}<path:object_id>/delete/"] = case(
            kwargs=pk,
            get=perm_roles(w, perm("delete")),
            post=perm_roles(w, perm("delete")),
            data=lambda w: {"post": "yes"},
        )
        pages[f"{prefix}<path:object_id>/history/"] = case(kwargs=pk, get=viewers)
        pages[f"{prefix}<path:object_id>/"] = case(kwargs=pk, get=NOBODY)  # redirects to the change page
    return pages


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def url_for(route: str, kwargs: dict) -> str:
    """The path for a route with its arguments filled in (routes, not names: two admin pages share a name)."""
    # A regular-expression route joined under a prefix keeps its anchors in the middle ("admin/^(?P<app_label>…)/$").
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m.group(1)]), path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), path)
    return "/" + path


def fingerprint() -> dict[str, str]:
    """A digest of every table's rows (except the volatile ones), in one statement on PostgreSQL."""
    tables = sorted(
        {m._meta.db_table for m in apps.get_models(include_auto_created=True)}
        - {t for t in connection.introspection.table_names() if t.startswith(VOLATILE_TABLES)}
    )
    tables = [t for t in tables if not t.startswith(VOLATILE_TABLES)]
    if connection.vendor == "postgresql":
        # Table names come from the model registry, never from input.
        select = "SELECT '{0}', md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM \"{0}\" x"
        sql = " UNION ALL ".join(select.format(t) for t in tables)
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return dict(cursor.fetchall())
    digests = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the model registry
            digests[table] = hashlib.sha256(repr(sorted(map(repr, cursor.fetchall()))).encode()).hexdigest()
    return digests


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("latin-1")
    return response.content.decode("utf-8", "replace")


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)

    def check(self, role, method, url, label, response, *, may_see, may_change, before, after):
        where = f"{role} {method} {url}{f' ({label})' if label else ''}"
        status = response.status_code
        if status >= 500:
            self.problems.append(f"{where}: answered {status}")
        if 200 <= status < 300 and role not in may_see:
            self.problems.append(f"{where}: answered {status} to a role that may not see it")
        if before != after and role not in may_change:
            changed = sorted(t for t in before if before[t] != after.get(t))
            self.problems.append(f"{where}: changed {changed}")
        text = body_of(response)
        for marker, allowed in MARKERS.items():
            if marker in text and role not in allowed:
                self.problems.append(f"{where}: shows {marker}")


def all_cases(w: World) -> dict[str, list[Case]]:
    return {**PUBLIC_PAGES, **OWN_PAGES, **OTHERS_PAGES, **API_PAGES, **staff_pages(w), **model_admin_pages(w)}


def test_every_url_pattern_has_an_entry():
    w = build_world()
    cases = all_cases(w)
    routes = [route for route, _ in walk(get_resolver().url_patterns)]
    missing = [route for route in routes if route not in cases]
    assert missing == [], f"URL patterns without an entry in the authorization matrix: {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(role):
    w = build_world()
    cases = all_cases(w)
    user = w["users"][role]
    findings = Findings()
    for route, _pattern in walk(get_resolver().url_patterns):
        for entry in cases[route]:
            url = url_for(route, entry.kwargs(w))
            for method in entry.methods:
                client = Client(raise_request_exception=False, REMOTE_ADDR="198.51.100.20")
                if entry.bearer and user is not None:
                    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {w['secrets'][role]}"
                elif user is not None:
                    client.force_login(user)
                before = fingerprint()
                if method == "GET":
                    response = client.get(url)
                    may_see, may_change = entry.get, NOBODY
                else:
                    response = client.post(url, entry.data(w))
                    # A page that answers a POST like a GET shows nothing the role could not GET.
                    may_see, may_change = entry.post | entry.get, entry.may_change
                after = fingerprint()
                if entry.audited and role in may_see:
                    after["audit_auditevent"] = before["audit_auditevent"]
                findings.check(
                    role, method, url, entry.label, response,
                    may_see=may_see, may_change=may_change, before=before, after=after,
                )  # fmt: skip
    assert findings.problems == [], "\n".join(findings.problems)


def test_roles_hold_exactly_their_work():
    """Reviewers decide, supervisors also take over, reverse, approve, appeal and set policy; auditors only read."""
    from django.contrib.auth.models import Group

    def codes(name):
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    reviewer, supervisor, auditor = codes("Reviewer"), codes("Supervisor"), codes("Auditor")
    decisions = {"change_claim", "change_complainant", "change_ipright", "change_authorization", "change_counternotice",
                 "change_complainantappeal"}  # fmt: skip
    supervision = {
        "reassign_claim", "reverse_removal", "add_action", "change_action", "change_appeal", "add_policy",
        "change_policy", "activate_policy", "add_policystep", "change_policystep", "delete_policystep",
        "add_holiday", "change_holiday", "decide_trust", "change_trustcriteria", "add_litigationhold",
        "change_litigationhold", "sanction_complainant", "change_abuserules",
    }  # fmt: skip
    assert all(code.startswith("view_") for code in auditor)
    assert {"view_counternotice", "view_document", "view_claim", "view_litigationhold"} <= auditor
    assert reviewer - auditor == decisions
    assert supervisor - reviewer == supervision
    assert not any(code.startswith("delete_") for code in reviewer)


def test_is_staff_alone_grants_nothing_in_the_admin(client):
    w = build_world()
    client.force_login(w["users"]["staff_no_role"])

    index = client.get("/admin/")
    document = client.get(f"/rights/documents/{w['unshared'].pk}/")

    assert "have permission to view or edit anything" in index.content.decode()
    assert document.status_code == 404
