"""Why a lead or a visit got its status, in words (shown on the KAM-week detail and in a customer's story)."""

from __future__ import annotations

from kam_metrics.access.scope import OTHER_KAM
from kam_metrics.engine.report import Results
from kam_metrics.i18n import t
from kam_metrics.present.format import stamp
from kam_metrics.present.index import FirstRegistrations, first_registration


def first_registrations(results: Results) -> FirstRegistrations:
    """Phone → the time of its first registration in the registry (``.get(phone)``; built once per Results)."""
    return first_registration(results)


def holder_word(claim_kam: object, lang: str) -> object:
    """A claim holder as shown: a scoped-out KAM (access.scope.OTHER_KAM) is 另一位大客户经理, never a name."""
    return t("scope.other_kam", lang) if claim_kam == OTHER_KAM else claim_kam


def lead_why(status: str, claim_kam: object, registered_at: object, lang: str) -> str:
    """The reason of a lead's status; ``claim_kam`` holds the claim it lost to, ``registered_at`` is the
    phone's first registration."""
    if status == "registry_overlap":
        return t("ui.why.registry_overlap", lang, at=stamp(registered_at))
    if status == "owned_by_other":
        return t("ui.why.owned_by_other", lang, kam=holder_word(claim_kam, lang) or "")
    if status == "duplicate_own":
        return t("ui.why.duplicate_own", lang)
    return t("ui.why.lead_valid", lang)


def visit_why(status: str, claim_kam: object, salesperson: object, lang: str) -> str:
    """The reason of a visit's status; ``claim_kam`` holds the claim at the visit, ``salesperson`` took it over."""
    if status == "no_valid_claim":
        if isinstance(claim_kam, str) and claim_kam:
            return t("ui.why.no_valid_claim_other", lang, kam=holder_word(claim_kam, lang))
        return t("ui.why.no_valid_claim", lang)
    if status == "valid":
        return t("ui.why.visit_valid", lang, salesperson=salesperson or "")
    return t(f"ui.why.{status}", lang)
