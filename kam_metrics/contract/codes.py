"""The business codes the engine writes (SPEC §3–§5), each spelled once, in the spec's check order."""

from __future__ import annotations

VALID = "valid"

# SPEC §3 leads, in check order; the first failing check is the status.
LEAD_STATUSES = ("registry_overlap", "duplicate_own", "owned_by_other", VALID)
# SPEC §3 visits, in check order (1b reported_too_late: 防截客, spec v1.2).
VISIT_STATUSES = (
    "not_reported",
    "reported_too_late",
    "no_valid_claim",
    "not_first_visit",
    "duplicate_visit",
    "name_mismatch",
    "no_handover",
    VALID,
)
# SPEC §3 units, in check order.
UNIT_STATUSES = ("no_photo", "duplicate_unit", VALID)
# SPEC §3 deals: the type of a deal line, and why an unattributed deal has no KAM ("" when attributed).
DEAL_TYPES = ("visit_deal", "lead_deal", "unattributed")
UNATTRIBUTED_REASONS = ("no_lead", "registry_overlap", "claim_lapsed")
# SPEC §2 deal status after normalisation (any cancelled word becomes "cancelled").
DEAL_STATUSES = ("signed", "cancelled")
# SPEC §3/§5: a commission line, and the clawback line a cancelled attributed deal adds.
LINES = ("commission", "clawback")
# SPEC §4 flags of a missed streak ("" when none).
FLAGS = ("", "warning", "dismissal_review")
