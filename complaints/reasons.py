"""Reason codes for claims, per type of right, each with what evidence it needs (Alibaba IPP's taxonomy, made
explicit). The severity decides how a takedown counts on the seller's ledger: counterfeits are serious."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    explanation: str
    severity: str  # "general" or "serious" (enforcement ledger)
    needs_analysis: bool = False


REASONS: dict[str, tuple[Reason, ...]] = {
    "trademark": (
        Reason(
            "tm_counterfeit",
            "Counterfeit goods",
            "The product carries your mark but is not genuine. Show why: a side-by-side comparison with your genuine "
            "product (labels, logo placement, packaging, serial numbers), a test-buy report with the order number, "
            "or the seller's price far below any authorised channel.",
            "serious",
        ),
        Reason(
            "tm_unauthorized_use",
            "Unauthorized use of the mark in the listing",
            "The listing uses your mark in its title, images or description without authorisation (for example "
            "“compatible with ACME” shown as if it were ACME). Point to where the mark appears in the listing.",
            "general",
        ),
        Reason(
            "tm_confusingly_similar",
            "Confusingly similar mark",
            "The product or listing uses a mark so close to yours that buyers are likely to be confused. Show the two "
            "marks side by side and explain the similarity (spelling, sound, design) and the goods concerned.",
            "general",
        ),
    ),
    "copyright": (
        Reason(
            "cr_copied_images",
            "Copied images",
            "The listing uses your photographs or artwork. Attach your original image (ideally with its file "
            "metadata or first publication) next to a screenshot of the listing.",
            "general",
        ),
        Reason(
            "cr_copied_text",
            "Copied text",
            "The listing copies your product description or other text. Quote the passages and where you first "
            "published them.",
            "general",
        ),
        Reason(
            "cr_pirated",
            "Pirated goods",
            "The product itself is an unauthorised copy of your work (software, media, books, designs printed on "
            "goods). A test-buy report or a comparison with the genuine work is the strongest evidence.",
            "serious",
        ),
    ),
    "patent": (
        Reason(
            "pt_embodies_patent",
            "Product embodies the patent",
            "The product falls within the claims of your patent. For invention patents and utility models attach an "
            "infringement analysis: a claim chart mapping each element of at least one claim to the product. A "
            "court or patent-office decision on the same product is strong evidence.",
            "general",
            needs_analysis=True,
        ),
    ),
    "design": (
        Reason(
            "ds_embodies_design",
            "Product embodies the design",
            "The product's appearance reproduces your registered design. Attach views of the registered design next "
            "to images of the product from the same angles.",
            "general",
        ),
    ),
}

BY_CODE: dict[str, Reason] = {reason.code: reason for reasons in REASONS.values() for reason in reasons}
CHOICES = [(reason.code, reason.label) for reasons in REASONS.values() for reason in reasons]


def reasons_for(kind: str) -> tuple[Reason, ...]:
    return REASONS.get(kind, ())


# Why staff do not take a listing down, or reject a whole claim: the other half of the same vocabulary.
ITEM_REJECTION_CODES = {
    "not_infringing": "Not infringing on the evidence given",
    "listing_not_found": "The listing could not be found",
    "url_invalid": "The link does not identify a listing",
    "right_scope": "The right does not cover these goods",
    "other": "Other",
}
CLAIM_REJECTION_CODES = {
    "identity_not_proven": "Identity not proven",
    "ownership_not_proven": "Ownership of the right not proven",
    "authorization_missing": "Authorization missing or insufficient",
    "other": "Other",
}
