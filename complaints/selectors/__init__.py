"""Every read in the complaints app with its visibility rules, by subdomain: ``vault``, ``claims``, ``disputes``.
Import from here: ``from complaints import selectors``."""

from .claims import (
    COMPLAINANT_TIMELINE_VERBS,
    SELLER_TIMELINE_VERBS,
    claim_conflicts,
    claim_get_for_user,
    claim_items,
    claim_list_for_complainant,
    claim_owner_names,
    claim_timeline,
    claims_with_item_counts,
    review_service_levels,
)
from .disputes import (
    CounterNoticeWindow,
    claim_item_list_for_seller,
    counter_notice_window_for,
    seller_notice_list,
    site_time,
)
from .vault import (
    FilingGate,
    authorization_get_for_user,
    authorization_list_for_agent,
    complainant_get_for_user,
    document_get_for_user,
    filing_gate,
    ip_right_get_for_user,
    ip_right_list_for_complainant,
    ip_rights_with_conflict_flag,
    right_conflicts,
    right_documents,
)

__all__ = [
    "COMPLAINANT_TIMELINE_VERBS",
    "SELLER_TIMELINE_VERBS",
    "CounterNoticeWindow",
    "FilingGate",
    "authorization_get_for_user",
    "authorization_list_for_agent",
    "claim_conflicts",
    "claim_get_for_user",
    "claim_item_list_for_seller",
    "claim_items",
    "claim_list_for_complainant",
    "claim_owner_names",
    "claim_timeline",
    "claims_with_item_counts",
    "complainant_get_for_user",
    "counter_notice_window_for",
    "document_get_for_user",
    "filing_gate",
    "ip_right_get_for_user",
    "ip_right_list_for_complainant",
    "ip_rights_with_conflict_flag",
    "review_service_levels",
    "right_conflicts",
    "right_documents",
    "seller_notice_list",
    "site_time",
]
