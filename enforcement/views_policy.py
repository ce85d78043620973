"""The public policy pages (no sign-in): the IPR policy's text, and each site's enforcement rules generated from its
policy versions — the one in force, and every earlier one with when it applied and what changed."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from listings.models import Site

from . import selectors
from .models import Measure
from .policy_rules import Activation, policy_changes, policy_periods, step_summary
from .policy_text import policy_text


@require_GET
def policy_text_page(request):
    sites = list(Site.objects.order_by("name"))
    # Policy §3 names the pages of each site's enforcement actions: its words link to them.
    links = {f"enforcement actions for www.{s.domain}": reverse("policy:site", args=[s.code]) for s in sites}
    return render(request, "policy/policy_text.html", {"text": policy_text(links=links), "sites": sites})


@require_GET
def site_rules(request, code: str, version: int | None = None):
    """A site's rules under one version (the one in force when no version is named). A fixed number of queries."""
    site = get_object_or_404(Site, code=code)
    policies = selectors.policy_list_for_site(site)
    activations = [
        Activation(at, int(policy_id), int(before) if before.isdigit() else None)
        for at, policy_id, before in selectors.policy_activation_list(policies)
    ]
    periods = policy_periods(policies, activations)
    # Drafts staff are still editing were never in force: they are not published.
    published = [p for p in policies if p.pk in periods or p.is_current]
    current = next((p for p in published if p.is_current), None)
    shown = current if version is None else next((p for p in published if p.version == version), None)
    if shown is None:
        raise Http404
    previous = next((p for p in published if p.version < shown.version), None)  # newest first
    steps = list(shown.steps.all())
    return render(
        request,
        "policy/site_rules.html",
        {
            "site": site,
            "policy": shown,
            "current": current,
            "periods": periods.get(shown.pk, []),
            "previous": previous,
            "changes": policy_changes(previous, shown) if previous else [],
            "ladder": [{"step": s, "does": step_summary(s)} for s in steps],
            "has_strikes": any(s.measure == Measure.STRIKES for s in steps) or bool(shown.strike_window_days),
            "versions": [{"policy": p, "periods": periods.get(p.pk, [])} for p in published],
        },
    )
