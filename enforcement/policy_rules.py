"""What the public policy pages compute from policy versions: when each version was in force, and what changed from
one version to the next, field by field. Pure functions of rows already loaded (the pages do a fixed number of
queries however many versions a site has)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .services import POLICY_OWN

if TYPE_CHECKING:
    from .models import Policy, PolicyStep

# The public name of each field of a version that the diff compares (everything but what makes it a version of its
# own and the site). A field without one here is named by its attribute; a test checks every field has one.
FIELD_LABELS = {
    "general_points": gettext_lazy("Points for a general violation"),
    "serious_points": gettext_lazy("Points for a serious violation"),
    "daily_general_cap": gettext_lazy("Daily cap on general points"),
    "strike_window_days": gettext_lazy("Days within which serious violations are one strike"),
    "aggregation_window_days": gettext_lazy("Days within which one rights holder's complaints on one right count once"),
    "requires_prior_warning": gettext_lazy("A warning must come before a suspension or termination"),
    "expiry_days": gettext_lazy("Days until a violation expires"),
    "counter_notice_business_days": gettext_lazy("Business days for the first counter-notice"),
    "further_counter_notice_business_days": gettext_lazy("Business days for further counter-notices"),
    "max_counter_notices": gettext_lazy("Counter-notices per listing"),
    "answer_business_days": gettext_lazy("Business days for the rights holder's answer"),
    "reinstate_on_silence": gettext_lazy("Reinstated when the rights holder does not answer"),
    "appeal_days": gettext_lazy("Days to appeal an action"),
    "notes": gettext_lazy("Where the values come from"),
}
NOT_COMPARED = POLICY_OWN | {"site"}


def compared_fields() -> list[str]:
    from .models import Policy

    return [f.name for f in Policy._meta.concrete_fields if f.name not in NOT_COMPARED]


@dataclass(frozen=True)
class Period:
    starts_at: datetime
    ends_at: datetime | None  # None: still in force


@dataclass(frozen=True)
class Activation:
    """A version made current (the audit trail's ``policy.activated``): when, which, and the version it replaced."""

    at: datetime
    policy_id: int
    replaced_version: int | None


def policy_periods(policies: Sequence["Policy"], activations: Sequence[Activation]) -> dict[int, list[Period]]:
    """When each version of one site was in force, by policy id; a version never in force (a draft) has none.

    The audit trail records every activation made by staff. Versions made current before it recorded them (the
    seeded versions, and versions published by data migrations, which create a version and make it current at
    once) took over when they were created: those are the versions up to the one the first recorded activation
    replaced (or up to the current one when nothing was recorded)."""
    by_id = {p.pk: p for p in policies}
    by_version = {p.version: p for p in policies}
    activations = sorted(activations, key=lambda a: a.at)
    if activations:
        first = activations[0].replaced_version
        baseline = by_version.get(first) if first is not None else None
    else:
        baseline = next((p for p in policies if p.is_current), None)
    starts: list[tuple[datetime, int]] = []
    if baseline is not None:
        earlier = sorted((p for p in policies if p.version <= baseline.version), key=lambda p: p.version)
        starts += [(p.created_at, p.pk) for p in earlier]
    starts += [(a.at, a.policy_id) for a in activations if a.policy_id in by_id]
    periods: dict[int, list[Period]] = {}
    for index, (start, policy_id) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else None
        periods.setdefault(policy_id, []).append(Period(start, end))
    return periods


def step_summary(step: "PolicyStep") -> str:
    """A rung's action in words: what it does and for how long."""
    text = step.get_action_display()
    if step.duration_days:
        text = _("%(action)s for %(days)s days") % {"action": text, "days": step.duration_days}
    if step.removes_all_listings:
        text = _("%(action)s; all listings removed") % {"action": text}
    return text


@dataclass(frozen=True)
class Change:
    what: str
    before: str
    after: str


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value) if value not in (None, "") else "—"


def _rung_label(step: "PolicyStep") -> str:
    return _("Rung: %(measure)s reach %(threshold)s") % {
        "measure": step.get_measure_display().lower(),
        "threshold": step.threshold,
    }


def _steps_text(step: "PolicyStep") -> str:
    return f"{step_summary(step)} — {step.clause}"


def policy_changes(before: "Policy", after: "Policy") -> list[Change]:
    """What changed from ``before`` to ``after``: each field whose value differs, then each rung of the ladder
    added, removed or changed (rungs are matched by what they count and their threshold). Steps must be loaded."""
    changes = []
    for name in compared_fields():
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            label = FIELD_LABELS.get(name) or name.replace("_", " ")
            changes.append(Change(str(label), _shown(old), _shown(new)))
    old_steps = {(s.measure, s.threshold): s for s in before.steps.all()}
    new_steps = {(s.measure, s.threshold): s for s in after.steps.all()}
    for key in sorted(old_steps.keys() | new_steps.keys()):
        old_step, new_step = old_steps.get(key), new_steps.get(key)
        old_text = _steps_text(old_step) if old_step else "—"
        new_text = _steps_text(new_step) if new_step else "—"
        if old_text != new_text:
            changes.append(Change(_rung_label(new_step or old_step), old_text, new_text))  # type: ignore[arg-type]
    return changes


def first_started(periods: Iterable[Period]) -> datetime | None:
    return min((p.starts_at for p in periods), default=None)
