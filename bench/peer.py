"""The benchmark's peer: the same ingest and recompute written the way a careful analyst would, with pandas + openpyxl.

This is what a director's office would otherwise run (issue 14's peer column): every workbook read with
``pandas.read_excel(engine="openpyxl")``, the sheets concatenated, cleaned and de-duplicated with pandas,
then attribution, the weekly assessment and the monthly statement with default rules (protection_days = 0)
as vectorised pandas with the one sequential rule (a valid visit once per KAM and phone) done by ranking.
It follows SPEC §3–§5 closely enough to do the same work (the same joins, sorts and group-bys over the
same rows); it is a timing peer, not a second reference: the product's results are checked elsewhere
against the independent calculation. Names, honorifics and the date-only benefit of the doubt are
simplified, as an analyst's sheet would.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

# Canonical Chinese headers of bench/generate.py's sheets (the first alias of each field).
SHEETS = {
    "大客户经理名单": (
        "roster",
        {"大客户经理": "kam", "团队": "team", "入职日期": "start_date", "离职日期": "end_date"},
    ),
    "客户登记": (
        "registrations",
        {
            "登记时间": "registered_at",
            "客户姓名": "customer_name",
            "手机号": "phone",
            "置业顾问": "salesperson",
        },
    ),
    "拓展单位": (
        "units",
        {"拓展日期": "date", "大客户经理": "kam", "单位名称": "unit_name", "照片": "photo"},
    ),
    "报备": (
        "leads",
        {"报备时间": "reported_at", "大客户经理": "kam", "客户姓名": "customer_name", "手机号": "phone"},
    ),
    "带访": (
        "visits",
        {
            "到访时间": "visited_at",
            "大客户经理": "kam",
            "客户姓名": "customer_name",
            "手机号": "phone",
            "接待置业顾问": "salesperson",
        },
    ),
    "成交": (
        "deals",
        {
            "成交日期": "signed_at",
            "客户姓名": "customer_name",
            "手机号": "phone",
            "房号": "property",
            "置业顾问佣金": "salesperson_commission",
            "状态": "status",
            "退房日期": "cancelled_at",
        },
    ),
}
KEYS = {  # natural keys: a row seen again in a later file is the same row
    "registrations": ["registered_at", "phone"],
    "units": ["kam", "date", "unit_key"],
    "leads": ["kam", "phone", "reported_at"],
    "visits": ["kam", "phone", "visited_at"],
    "deals": ["phone", "property", "signed_at"],
}
TARGETS = {"units": (3, 100), "visits": (16, 10), "leads": (100, 1)}  # quota: (target, fine per missing one)
CENT = Decimal("0.01")


def ingest(files: list[Path]) -> dict[str, pd.DataFrame]:
    """Read every workbook in order and keep one cleaned, de-duplicated frame per sheet kind."""
    parts: dict[str, list[pd.DataFrame]] = {kind: [] for kind, _ in SHEETS.values()}
    for order, path in enumerate(files):
        for name, frame in pd.read_excel(path, sheet_name=None, engine="openpyxl", dtype=str).items():
            if name not in SHEETS:
                continue
            kind, columns = SHEETS[name]
            frame = frame.rename(columns=columns)[list(columns.values())]
            frame["file_order"] = order
            frame["row_no"] = range(2, len(frame) + 2)
            parts[kind].append(frame)
    data = {
        kind: _clean(kind, pd.concat(frames, ignore_index=True)) for kind, frames in parts.items() if frames
    }
    roster = data["roster"].drop_duplicates("kam", keep="last")  # the latest roster wins
    data["roster"] = roster.reset_index(drop=True)
    return data


def _clean(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].str.strip()
    if "phone" in frame:
        frame["phone"] = frame["phone"].str.replace(r"\D", "", regex=True).str[-11:]
        frame = frame[frame["phone"].str.fullmatch(r"1\d{10}", na=False)]
    for col in ("registered_at", "reported_at", "visited_at", "signed_at", "cancelled_at", "date"):
        if col in frame:
            frame[col] = pd.to_datetime(frame[col], errors="coerce", format="mixed")
    if kind == "units":
        frame["unit_key"] = frame["unit_name"].map(lambda s: re.sub(r"\s+", "", str(s)).lower())
    if kind == "deals":
        frame["salesperson_commission"] = frame["salesperson_commission"].map(lambda s: Decimal(str(s or 0)))
        frame["signed_at"] = frame["signed_at"].dt.normalize() + pd.Timedelta(
            hours=23, minutes=59, seconds=59
        )
    if kind in KEYS:  # the same row in a later file: the latest upload wins for deals, the first elsewhere
        frame = frame.drop_duplicates(KEYS[kind], keep="last" if kind == "deals" else "first")
    return frame.reset_index(drop=True)


def recompute(data: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Attribution, the weekly assessment and the monthly statement (default rules)."""
    leads, visits, units, deals = (data[k].copy() for k in ("leads", "visits", "units", "deals"))
    first_reg = data["registrations"].groupby("phone")["registered_at"].min().rename("first_reg")

    # Leads in time order; the first lead after no registration holds the claim for ever (protection_days = 0).
    leads = leads.sort_values(["reported_at", "file_order", "row_no"]).join(first_reg, on="phone")
    overlap = leads["first_reg"].notna() & (leads["first_reg"] <= leads["reported_at"])
    claimants = leads[~overlap]
    holder = claimants.drop_duplicates("phone")[["phone", "kam", "reported_at"]]
    holder = holder.rename(columns={"kam": "holder", "reported_at": "claimed_at"}).set_index("phone")
    leads = leads.join(holder, on="phone")
    first = leads.index.isin(claimants.drop_duplicates("phone").index)
    leads["status"] = "owned_by_other"
    leads.loc[leads["holder"] == leads["kam"], "status"] = "duplicate_own"
    leads.loc[first, "status"] = "valid"
    leads.loc[overlap, "status"] = "registry_overlap"

    # Visits: checks in the spec's order, each on the rows the earlier checks let through.
    visits = (
        visits.sort_values(["visited_at", "file_order", "row_no"])
        .join(holder, on="phone")
        .join(first_reg, on="phone")
    )
    own_first = leads.groupby(["kam", "phone"])["reported_at"].min().rename("own_first")
    visits = visits.join(own_first, on=["kam", "phone"])
    earlier_visit = (
        visits.groupby("phone")["visited_at"].transform("min").dt.normalize()
        < visits["visited_at"].dt.normalize()
    )
    visits["status"] = "valid"
    claim_name = leads[first].set_index("phone")["customer_name"].rename("claim_name")
    visits = visits.join(claim_name, on="phone")
    both = visits["customer_name"].notna() & visits["claim_name"].notna()
    differ = both & (visits["customer_name"] != visits["claim_name"])
    surname = visits["customer_name"].str[0] == visits["claim_name"].str[0]  # 王先生 ~ 王建国
    visits.loc[visits["salesperson"].isna() | (visits["salesperson"] == ""), "status"] = "no_handover"
    visits.loc[differ & ~surname, "status"] = "name_mismatch"
    visits.loc[
        earlier_visit | (visits["first_reg"].dt.normalize() < visits["visited_at"].dt.normalize()), "status"
    ] = "not_first_visit"
    visits.loc[
        (visits["holder"] != visits["kam"]) | (visits["claimed_at"] > visits["visited_at"]), "status"
    ] = "no_valid_claim"
    visits.loc[visits["own_first"].isna() | (visits["own_first"] >= visits["visited_at"]), "status"] = (
        "not_reported"
    )
    candidate = visits["status"] == "valid"
    repeat = visits[candidate].groupby(["kam", "phone"]).cumcount() > 0
    visits.loc[repeat[repeat].index, "status"] = "duplicate_visit"

    # Units: a photo, and the first of each unit name.
    units = units.sort_values(["date", "file_order", "row_no"])
    units["status"] = "valid"
    units.loc[units["photo"].isna() | (units["photo"] == ""), "status"] = "no_photo"
    ok = units["status"] == "valid"
    units.loc[units[ok].duplicated("unit_key").pipe(lambda s: s[s].index), "status"] = "duplicate_unit"

    # Deals: the claim holder at the deal, with a valid visit before it or not.
    valid_visit = (
        visits[visits["status"] == "valid"]
        .groupby(["kam", "phone"])["visited_at"]
        .min()
        .rename("first_visit")
    )
    deals = deals.join(holder, on="phone").join(valid_visit, on=["holder", "phone"])
    held = deals["holder"].notna() & (deals["claimed_at"] <= deals["signed_at"])
    visited = held & deals["first_visit"].notna() & (deals["first_visit"] < deals["signed_at"])
    deals["type"] = "unattributed"
    deals.loc[held, "type"] = "lead_deal"
    deals.loc[visited, "type"] = "visit_deal"
    share = deals["salesperson_commission"].map(lambda d: (d * Decimal("0.5")).quantize(CENT, ROUND_HALF_UP))
    deals["kam_commission"] = Decimal(0)
    deals.loc[deals["type"] == "lead_deal", "kam_commission"] = Decimal(200)
    deals.loc[deals["type"] == "visit_deal", "kam_commission"] = share[deals["type"] == "visit_deal"]
    deals["kam"] = deals["holder"].where(held)

    weekly = _weekly(data["roster"], leads, visits, units)
    return {
        "leads": leads,
        "visits": visits,
        "units": units,
        "deals": deals,
        "weekly": weekly,
        "statement": _statement(deals, weekly),
    }


def _weekly(
    roster: pd.DataFrame, leads: pd.DataFrame, visits: pd.DataFrame, units: pd.DataFrame
) -> pd.DataFrame:
    as_of = max(leads["reported_at"].max(), visits["visited_at"].max(), units["date"].max())
    counts = []
    for kind, frame, when in (
        ("leads", leads, "reported_at"),
        ("visits", visits, "visited_at"),
        ("units", units, "date"),
    ):
        ok = frame[frame["status"] == "valid"]
        week = ok[when].dt.to_period("W-SUN").dt.start_time
        counts.append(ok.groupby([ok["kam"], week.rename("week")]).size().rename(kind))
    activity = pd.concat(counts, axis=1).fillna(0)
    first_week = activity.index.get_level_values("week").min()
    last_week = (as_of - pd.Timedelta(days=6)).to_period("W-SUN").start_time
    weeks = pd.date_range(first_week, last_week, freq="7D")
    kams = sorted(set(roster["kam"]) | set(activity.index.get_level_values("kam")))
    grid = pd.MultiIndex.from_product([kams, weeks], names=["kam", "week"])
    weekly = activity.reindex(grid, fill_value=0).reset_index()
    weekly["fine"] = 0
    for kind, (target, rate) in TARGETS.items():
        weekly["fine"] += (target - weekly[kind]).clip(lower=0) * rate
    weekly["met"] = weekly["fine"] == 0
    run = (~weekly["met"]).groupby([weekly["kam"], weekly["met"].cumsum()]).cumsum()
    weekly["missed_streak"] = run.where(~weekly["met"], 0)
    return weekly


def _statement(deals: pd.DataFrame, weekly: pd.DataFrame) -> pd.DataFrame:
    lines = deals[deals["type"] != "unattributed"]
    commission = lines.groupby([lines["kam"], lines["signed_at"].dt.to_period("M").rename("month")])[
        "kam_commission"
    ].sum()
    cancelled = lines[lines["cancelled_at"].notna()]
    clawback = cancelled.groupby(
        [cancelled["kam"], cancelled["cancelled_at"].dt.to_period("M").rename("month")]
    )["kam_commission"].sum()
    fines = weekly.groupby(
        [weekly["kam"], (weekly["week"] + pd.Timedelta(days=6)).dt.to_period("M").rename("month")]
    )["fine"].sum()
    out = pd.concat(
        [commission.rename("commission"), clawback.rename("clawback"), fines.rename("fines")], axis=1
    )
    out = out.fillna(Decimal(0)).reset_index()
    out["net"] = [
        Decimal(c) - Decimal(k) - Decimal(int(f))
        for c, k, f in zip(out["commission"], out["clawback"], out["fines"], strict=True)
    ]
    return out


def write(results: dict[str, pd.DataFrame], path: Path) -> None:
    """The analyst's result workbook: every frame as a sheet through openpyxl."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in results.items():
            frame.to_excel(writer, sheet_name=name, index=False)
