"""The columns of every Results frame, declared once (SPEC §7 names; extra columns carry provenance and order keys)."""

from __future__ import annotations

# present/ and export/ read these names: add columns, never rename or remove one.
RESULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "kams": ("kam", "team", "start_date", "end_date", "first_activity", "on_roster"),
    "summary": ("kam", "team", "weeks_assessed", "weeks_met", "fines_total", "commission_total", "clawback_total",
                "adjustments_total", "net_total", "missed_streak", "flag"),
    "weekly": ("kam", "team", "week", "week_start", "units", "batches", "numbers", "units_short", "batches_short",
               "numbers_short", "fine", "met", "missed_streak", "flag", "in_progress"),
    "statement": ("kam", "team", "month", "commission", "clawback", "fines", "adjustments", "net", "closed"),
    "commissions": ("kam", "team", "phone", "property", "signed_at", "salesperson", "salesperson_commission", "type",
                    "reason", "kam_commission", "salesperson_net", "line", "month", "status", "cancelled_at",
                    "signed_date", "customer_name", "amount", "upload_id", "sheet", "row_no", "k",
                    "adjudication"),
    "leads": ("kam", "team", "phone", "customer_name", "reported_at", "status", "reported_at_date_only", "claim_kam",
              "upload_id", "sheet", "row_no", "k", "adjudication"),
    "visits": ("kam", "team", "phone", "customer_name", "visited_at", "salesperson", "status", "visited_at_date_only",
               "party_size", "claim_kam", "upload_id", "sheet", "row_no", "k", "adjudication"),
    "units": ("kam", "team", "date", "unit_name", "status", "date_date_only", "photo", "contact", "unit_key",
              "upload_id", "sheet", "row_no", "adjudication"),
    "claims": ("claim_id", "phone", "kam", "start_k", "lapse_ts"),
    "registrations": ("upload_id", "sheet", "row_no", "registered_at", "registered_at_date_only", "customer_name",
                      "phone", "salesperson", "source", "k"),
    "rejected": ("file", "sheet", "row", "problems", "raw", "kind", "upload_id"),
    "warnings": ("file", "sheet", "row", "column", "code", "value", "kind", "upload_id"),
    # §9: amount is the effect on net, change the item's own change (now − paid); reason is JSON (engine.close)
    "adjustments": ("kam", "team", "month", "source_month", "kind", "ref", "amount", "reason", "change", "closed"),
    # SPEC §8: the live adjudications (adjudication = the id of the one deciding a row, on the four frames above)
    "adjudications": ("id", "kind", "ref", "verdict", "kam", "reason", "decided_by", "decided_at", "dispute",
                      "orphaned"),
}  # fmt: skip
# The frames computed per KAM row before report adds each row's team (column 1).
WITH_TEAM_ADDED = ("leads", "visits", "units", "commissions")


def columns_before_team(frame: str) -> list[str]:
    """The columns of a WITH_TEAM_ADDED frame as the engine builds it, before report inserts ``team``."""
    return [c for c in RESULT_COLUMNS[frame] if c != "team"]
