"""Synthetic weekly KAM workbooks for the benchmark (see bench/run.py).

``generate(n, out_dir, seed)`` writes 52 weekly workbooks (one per week, starting Monday
2025-12-01) holding, in total, N leads, N/2 registrations, N/6 visits, N/300 units and N/30
deals by max(8, N/2500) KAMs; every workbook also holds the roster as it stands that week.
``generate_single(n, out_dir, seed)`` writes one workbook with one 报备 sheet of N lead rows.

Files are cached under ``out_dir / f"n{n}-seed{seed}-v{GEN_VERSION}"``: a second call with the same
arguments returns the existing files (a manifest written last marks a complete set).

Notes on shape: headers are the canonical Chinese headers of kam_metrics.contract.sheets; phones are text;
timestamps are real date cells (serial number + date format; ~88% carry a time of day, the rest are
date-only); money is numeric. xlsxwriter's constant_memory mode writes strings *inline* (not to
the shared-string table Excel itself uses); readers handle both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import xlsxwriter

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kam_metrics.contract.sheets import KINDS  # noqa: E402

GEN_VERSION = 1
DEFAULT_CACHE = Path(__file__).resolve().parent / ".cache"
START = dt.date(2025, 12, 1)  # a Monday
WEEKS = 52
DAYS = WEEKS * 7
START_SERIAL = (START - dt.date(1899, 12, 30)).days  # Excel 1900 date system
SHEET_ORDER = ("roster", "registrations", "units", "leads", "visits", "deals")

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
) + ["欧阳", "司马", "诸葛", "上官"]
GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彩春菊凤洁梅琳素云莲真环雪荣爱妹"
    "霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉"
    "君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚"
    "宜可姬舒影荔枝思丽浩宇轩然子涵博文天佑俊驰辰逸鹏飞志远建国德明"
)
HONORIFICS = ["先生", "女士", "小姐", "总", "老师", "经理"]
CN_DIGITS = "零一二三四五六七八九"
CITIES = ["", "成都", "重庆", "武汉", "西安", "长沙", "郑州", "南京", "杭州", "合肥"]
DISTRICTS = list("东西南北中") + [
    "高新",
    "滨江",
    "经开",
    "新城",
    "江北",
    "城南",
    "天河",
    "海淀",
    "浦东",
    "龙岗",
]
UNIT_CORES = [
    "华信",
    "恒通",
    "中科",
    "远航",
    "新时代",
    "金桥",
    "宏达",
    "鼎盛",
    "联创",
    "博远",
    "天成",
    "瑞丰",
    "盛世",
    "安达",
    "星辰",
    "海纳",
    "长青",
    "和美",
    "嘉禾",
    "诚信",
    "启明",
    "卓越",
    "万象",
    "鸿运",
    "锦程",
    "永安",
    "同创",
    "立德",
    "兴业",
    "东方",
    "国泰",
    "富民",
    "康达",
    "明珠",
    "育才",
    "实验",
    "光明",
    "阳光",
]
UNIT_SUFFIXES = [
    "科技有限公司",
    "贸易有限公司",
    "建设集团",
    "中学",
    "小学",
    "幼儿园",
    "人民医院",
    "社区卫生服务中心",
    "银行支行",
    "律师事务所",
    "会计师事务所",
    "物业管理有限公司",
    "汽车4S店",
    "商会",
    "街道办事处",
    "税务所",
    "供电所",
    "实业有限公司",
    "制药厂",
    "酒店",
]
SOURCES = ["自然来访", "大客户经理", "中介", "线上", "老带新", "电话", "外展"]
PHONE_PREFIXES = np.array(
    [130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158, 159]
    + [166, 176, 177, 178, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 198, 199],
    dtype=np.int64,
)


def headers(kind: str) -> list[str]:
    """Canonical Chinese headers of a sheet kind (first alias of each field)."""
    return [f.canonical for f in KINDS[kind].fields]


def sheet_name(kind: str) -> str:
    return KINDS[kind].aliases[0]


def cache_dir(n: int, out_dir: Path, seed: int) -> Path:
    return Path(out_dir) / f"n{n}-seed{seed}-v{GEN_VERSION}"


# ---------------------------------------------------------------------------- data


def _cn_number(i: int) -> str:
    if i < 10:
        return CN_DIGITS[i]
    tens, ones = divmod(i, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def _unique_phones(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` distinct mainland mobiles (^1[3-9]\\d{9}$) as int64."""
    out = np.empty(0, dtype=np.int64)
    while len(out) < count:
        need = int((count - len(out)) * 1.05) + 16
        cand = PHONE_PREFIXES[rng.integers(0, len(PHONE_PREFIXES), need)] * 100_000_000 + rng.integers(
            0, 100_000_000, need
        )
        out = np.unique(np.concatenate([out, cand]))
    return rng.permutation(out)[:count]


def _person_names(rng: np.random.Generator, count: int) -> np.ndarray:
    s = rng.integers(0, len(SURNAMES), count)
    g1 = rng.integers(0, len(GIVEN), count)
    g2 = rng.integers(0, len(GIVEN), count)
    two = rng.random(count) < 0.7
    return np.array(
        [
            SURNAMES[a] + GIVEN[b] + (GIVEN[c] if t else "")
            for a, b, c, t in zip(s.tolist(), g1.tolist(), g2.tolist(), two.tolist(), strict=True)
        ],
        dtype=object,
    )


def _customer_names(rng: np.random.Generator, count: int) -> np.ndarray:
    """60% full names, 30% surname + honorific, 10% missing."""
    names = _person_names(rng, count)
    r = rng.random(count)
    hon = np.flatnonzero((r >= 0.6) & (r < 0.9))
    hk = rng.integers(0, len(HONORIFICS), len(hon))
    for i, k in zip(hon.tolist(), hk.tolist(), strict=True):
        names[i] = names[i][0] + HONORIFICS[k]
    names[r >= 0.9] = None
    return names


def _times(
    rng: np.random.Generator, day: np.ndarray, date_only_share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Excel serials for day offsets (business hours 9:00-21:00), and a has-time mask."""
    secs = rng.integers(9 * 3600, 21 * 3600, len(day))
    has_time = rng.random(len(day)) >= date_only_share
    serial = START_SERIAL + day.astype(np.float64) + np.where(has_time, secs, 0) / 86400.0
    return serial, has_time


def build_data(n: int, seed: int) -> dict:
    """All rows of a size-N data set as numpy/object columns, plus each row's week."""
    rng = np.random.default_rng([seed, n])
    n_leads, n_regs, n_visits = n, n // 2, n // 6
    n_units, n_deals = max(1, n // 300), max(1, n // 30)
    n_kams = max(8, n // 2500)
    n_teams = max(2, n_kams // 15)
    n_sales = max(6, n // 20_000)

    # KAMs: unique names, teams, start/end days (offsets from START; may be negative)
    kam_names: list[str] = []
    seen: set[str] = set()
    while len(kam_names) < n_kams:
        for name in _person_names(rng, n_kams * 2).tolist():
            if name not in seen and len(kam_names) < n_kams:
                seen.add(name)
                kam_names.append(name)
    kams = np.array(kam_names, dtype=object)
    teams = np.array([f"拓客{_cn_number(i + 1)}组" for i in range(n_teams)], dtype=object)
    kam_team = teams[rng.integers(0, n_teams, n_kams)]
    late = rng.random(n_kams) < 0.2
    kam_start = np.where(late, rng.integers(7, DAYS - 60, n_kams), rng.integers(-400, -1, n_kams))
    leaves = rng.random(n_kams) < 0.08
    kam_end = np.where(
        leaves, np.minimum(DAYS - 1, np.maximum(kam_start, 0) + rng.integers(30, DAYS, n_kams)), DAYS - 1
    )
    kam_weight = rng.lognormal(0, 0.5, n_kams) * (kam_end - np.maximum(kam_start, 0) + 1)
    kam_weight /= kam_weight.sum()
    salespeople = _person_names(rng, n_sales)

    def pick_kam_and_day(count: int) -> tuple[np.ndarray, np.ndarray]:
        k = rng.choice(n_kams, count, p=kam_weight)
        lo = np.maximum(kam_start[k], 0)
        day = lo + (rng.random(count) * (kam_end[k] - lo + 1)).astype(np.int64)
        return k, day

    def sales_col(count: int, missing: float) -> np.ndarray:
        col = salespeople[rng.integers(0, n_sales, count)]
        col[rng.random(count) < missing] = None
        return col

    # phone pools: lead phones (~90% distinct), fresh phones for registry/visits/deals
    n_lead_phones = int(n_leads * 0.9)
    n_fresh = n_regs + n_visits + n_deals
    pool = _unique_phones(rng, n_lead_phones + n_fresh)
    lead_phones, fresh = pool[:n_lead_phones], pool[n_lead_phones:]
    pool_names = _customer_names(rng, len(pool))  # one customer name per phone
    fresh_names = pool_names[n_lead_phones:]
    fresh_at = 0

    def take_fresh(count: int) -> tuple[np.ndarray, np.ndarray]:
        nonlocal fresh_at
        sl = slice(fresh_at, fresh_at + count)
        fresh_at += count
        return fresh[sl], fresh_names[sl]

    # leads
    li = np.concatenate([np.arange(n_lead_phones), rng.integers(0, n_lead_phones, n_leads - n_lead_phones)])
    li = rng.permutation(li)
    l_kam, l_day = pick_kam_and_day(n_leads)
    l_serial, l_has_time = _times(rng, l_day, 0.08)
    leads = {
        "serial": l_serial,
        "has_time": l_has_time,
        "kam": kams[l_kam],
        "customer_name": pool_names[li],
        "phone": lead_phones[li],
    }

    # registrations: ~20% of lead phones, the rest fresh
    n_reg_from_leads = min(n_regs, int(n_lead_phones * 0.2))
    r_from = rng.choice(n_lead_phones, n_reg_from_leads, replace=False)
    f_phone, f_name = take_fresh(n_regs - n_reg_from_leads)
    r_phone = np.concatenate([lead_phones[r_from], f_phone])
    r_name = np.concatenate([pool_names[r_from], f_name])
    r_day = rng.integers(0, DAYS, n_regs)
    r_serial, r_has_time = _times(rng, r_day, 0.15)
    regs = {
        "serial": r_serial,
        "has_time": r_has_time,
        "customer_name": r_name,
        "phone": r_phone,
        "salesperson": sales_col(n_regs, 0.05),
        "source": np.array(SOURCES, dtype=object)[rng.integers(0, len(SOURCES), n_regs)],
    }

    # visits: ~70% of a lead's phone, mostly by its KAM, 0.5 h - 21 days after the lead
    n_v_lead = int(n_visits * 0.7)
    v_lead_rows = rng.choice(n_leads, n_v_lead, replace=False)
    v_kam = leads["kam"][v_lead_rows].copy()
    other = rng.random(n_v_lead) < 0.05
    v_kam[other] = kams[rng.integers(0, n_kams, int(other.sum()))]
    v_serial_a = np.minimum(
        l_serial[v_lead_rows] + rng.uniform(1 / 48, 21, n_v_lead), START_SERIAL + DAYS - 1 + 20 / 24
    )
    v_has_time_a = rng.random(n_v_lead) >= 0.1
    v_serial_a = np.where(v_has_time_a, v_serial_a, np.floor(v_serial_a))
    v_name_a = pool_names[li[v_lead_rows]].copy()
    mism = rng.random(n_v_lead) < 0.03
    v_name_a[mism] = _customer_names(rng, int(mism.sum()))
    n_v_fresh = n_visits - n_v_lead
    fv_phone, fv_name = take_fresh(n_v_fresh)
    fv_kam, fv_day = pick_kam_and_day(n_v_fresh)
    fv_serial, fv_has_time = _times(rng, fv_day, 0.1)
    visits = {
        "serial": np.concatenate([v_serial_a, fv_serial]),
        "has_time": np.concatenate([v_has_time_a, fv_has_time]),
        "kam": np.concatenate([v_kam, kams[fv_kam]]),
        "customer_name": np.concatenate([v_name_a, fv_name]),
        "phone": np.concatenate([lead_phones[li[v_lead_rows]], fv_phone]),
        "party_size": rng.integers(1, 7, n_visits).astype(np.float64),
        "salesperson": sales_col(n_visits, 0.04),
    }

    # deals: ~50% of visited lead phones, ~20% of other lead phones, ~30% fresh
    n_d_vis = min(n_v_lead, int(n_deals * 0.5))
    n_d_lead = int(n_deals * 0.2)
    n_d_fresh = n_deals - n_d_vis - n_d_lead
    dv = rng.choice(n_v_lead, n_d_vis, replace=False)
    dl = rng.integers(0, n_leads, n_d_lead)
    fd_phone, fd_name = take_fresh(n_d_fresh)
    d_phone = np.concatenate([lead_phones[li[v_lead_rows[dv]]], lead_phones[li[dl]], fd_phone])
    d_name = np.concatenate([pool_names[li[v_lead_rows[dv]]], pool_names[li[dl]], fd_name])
    base = np.concatenate(
        [v_serial_a[dv], l_serial[dl], START_SERIAL + rng.integers(0, DAYS, n_d_fresh).astype(np.float64)]
    )
    d_day = np.minimum(np.floor(base + rng.uniform(0, 30, n_deals)), START_SERIAL + DAYS - 1)
    d_has_time = rng.random(n_deals) >= 0.3
    d_serial = d_day + np.where(d_has_time, rng.integers(9 * 3600, 21 * 3600, n_deals) / 86400.0, 0)
    sect = np.array(list("ABCDEFGH"), dtype=object)
    u = rng.permutation(max(n_deals, 8 * 40 * 33 * 4))[:n_deals]
    prop = [
        f"{sect[(i // 5280) % 8]}区{(i // 132) % 40 + 1}栋{(i // 4) % 33 + 1}{i % 4 + 1:02d}"
        for i in u.tolist()
    ]
    cancelled = rng.random(n_deals) < 0.04
    c_serial = np.where(
        cancelled, np.minimum(d_day + rng.integers(3, 60, n_deals), START_SERIAL + DAYS - 1), np.nan
    )
    deals = {
        "serial": d_serial,
        "has_time": d_has_time,
        "customer_name": d_name,
        "phone": d_phone,
        "property": np.array(prop, dtype=object),
        "amount": (rng.integers(8_000, 60_000, n_deals) * 100).astype(np.float64),
        "salesperson": sales_col(n_deals, 0.0),
        "salesperson_commission": (rng.integers(300, 801, n_deals) * 10).astype(np.float64),
        "status": np.where(cancelled, "退房", None).astype(object),
        "cancelled_at": c_serial,
    }

    # units: Chinese organisation names, ~5% re-canvassed names, ~8% without a photo
    u_kam, u_day = pick_kam_and_day(n_units)
    u_serial, u_has_time = _times(rng, u_day, 0.5)
    n_combo = len(CITIES) * len(DISTRICTS) * len(UNIT_CORES) * len(UNIT_SUFFIXES)
    combo = rng.choice(n_combo, n_units, replace=n_units > n_combo)
    names = []
    for c in combo.tolist():
        c, s_i = divmod(c, len(UNIT_SUFFIXES))
        c, c_i = divmod(c, len(UNIT_CORES))
        ci_, d_i = divmod(c, len(DISTRICTS))
        names.append(f"{CITIES[ci_]}{DISTRICTS[d_i]}{UNIT_CORES[c_i]}{UNIT_SUFFIXES[s_i]}")
    names_arr = np.array(names, dtype=object)
    recanvassed = np.flatnonzero(rng.random(n_units) < 0.05)  # same name again (other KAM / date)
    names_arr[recanvassed] = names_arr[rng.integers(0, n_units, len(recanvassed))]
    photo = np.array([f"https://img.example.com/units/{i:07d}.jpg" for i in range(n_units)], dtype=object)
    photo[rng.random(n_units) < 0.08] = None
    units = {
        "serial": u_serial,
        "has_time": u_has_time,
        "kam": kams[u_kam],
        "unit_name": names_arr,
        "photo": photo,
        "contact": _person_names(rng, n_units),
    }

    roster = {
        "kam": kams,
        "team": kam_team,
        "start": START_SERIAL + kam_start.astype(np.float64),
        "end": np.where(leaves, START_SERIAL + kam_end.astype(np.float64), np.nan),
    }
    return {
        "n": n,
        "roster": roster,
        "registrations": regs,
        "units": units,
        "leads": leads,
        "visits": visits,
        "deals": deals,
    }


def _week_of(serial: np.ndarray) -> np.ndarray:
    return np.clip(((np.floor(serial) - START_SERIAL) // 7).astype(np.int64), 0, WEEKS - 1)


# ---------------------------------------------------------------------------- writing

_DATA: dict | None = None  # set in the parent before forking workers


def _phone_text(a: np.ndarray) -> list[str]:
    return a.astype(np.int64).astype(str).tolist()


def _columns(kind: str, rows: dict, idx: np.ndarray) -> list[tuple[str, list]]:
    """(cell type, values) per column in canonical header order; idx selects and orders rows."""
    serial = rows["serial"][idx].tolist()
    has_time = rows["has_time"][idx].tolist()
    dated = ("date", list(zip(serial, has_time, strict=True)))

    def obj(col: str) -> tuple[str, list]:
        return ("str", rows[col][idx].tolist())

    def num(col: str) -> tuple[str, list]:
        return ("num", rows[col][idx].tolist())

    phone = ("str", _phone_text(rows["phone"][idx])) if "phone" in rows else None
    if kind == "registrations":
        return [dated, obj("customer_name"), phone, obj("salesperson"), obj("source")]
    if kind == "units":
        return [dated, obj("kam"), obj("unit_name"), obj("photo"), obj("contact")]
    if kind == "leads":
        return [dated, obj("kam"), obj("customer_name"), phone]
    if kind == "visits":
        return [dated, obj("kam"), obj("customer_name"), phone, num("party_size"), obj("salesperson")]
    if kind == "deals":
        c = rows["cancelled_at"][idx].tolist()
        return [
            dated,
            obj("customer_name"),
            phone,
            obj("property"),
            num("amount"),
            obj("salesperson"),
            num("salesperson_commission"),
            obj("status"),
            ("date", [(x, False) for x in c]),
        ]
    raise ValueError(kind)


def _write_sheet(wb, ws, kind: str, cols: list[tuple[str, list]], fmts) -> None:
    fmt_dt, fmt_d = fmts
    ws.write_row(0, 0, headers(kind))
    ws.set_column(0, len(cols) - 1, 16)
    nrows = len(cols[0][1]) if cols else 0
    write_string, write_number = ws.write_string, ws.write_number
    # constant_memory: rows must be written in order, so go row by row.
    types = [c[0] for c in cols]
    values = [c[1] for c in cols]
    for r in range(nrows):
        row = r + 1
        for ci in range(len(cols)):
            v = values[ci][r]
            if v is None:
                continue
            t = types[ci]
            if t == "str":
                write_string(row, ci, v)
            elif t == "num":
                if v == v:
                    write_number(row, ci, v)
            else:
                s, has_t = v
                if s == s:
                    write_number(row, ci, s, fmt_dt if has_t else fmt_d)


def _new_workbook(path: Path):
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    fmts = (wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}), wb.add_format({"num_format": "yyyy-mm-dd"}))
    return wb, fmts


def _roster_for_week(w: int) -> list[tuple[str, list]]:
    ro = _DATA["roster"]
    week_end = START_SERIAL + 7 * w + 6
    keep = np.flatnonzero(ro["start"] <= week_end)
    end = ro["end"][keep]
    end = np.where(end <= week_end, end, np.nan).tolist()
    return [
        ("str", ro["kam"][keep].tolist()),
        ("str", ro["team"][keep].tolist()),
        ("date", [(s, False) for s in ro["start"][keep].tolist()]),
        ("date", [(e, False) for e in end]),
    ]


def _write_week(args: tuple[int, str]) -> str:
    w, path = args
    tmp = Path(path).with_suffix(".tmp.xlsx")
    wb, fmts = _new_workbook(tmp)
    for kind in SHEET_ORDER:
        ws = wb.add_worksheet(sheet_name(kind))
        if kind == "roster":
            cols = _roster_for_week(w)
        else:
            rows = _DATA[kind]
            idx = _DATA["week_index"][kind][w]
            cols = _columns(kind, rows, idx)
        _write_sheet(wb, ws, kind, cols, fmts)
    wb.close()
    os.replace(tmp, path)
    return path


def _write_single(path: str) -> str:
    tmp = Path(path).with_suffix(".tmp.xlsx")
    wb, fmts = _new_workbook(tmp)
    ws = wb.add_worksheet(sheet_name("leads"))
    rows = _DATA["leads"]
    idx = np.argsort(rows["serial"], kind="stable")
    _write_sheet(wb, ws, "leads", _columns("leads", rows, idx), fmts)
    wb.close()
    os.replace(tmp, path)
    return path


def _prepare(n: int, seed: int) -> None:
    global _DATA
    if _DATA is not None and _DATA.get("n") == n and _DATA.get("seed") == seed:
        return
    data = build_data(n, seed)
    data["seed"] = seed
    week_index: dict[str, list[np.ndarray]] = {}
    for kind in SHEET_ORDER[1:]:
        serial = data[kind]["serial"]
        order = np.lexsort((serial, _week_of(serial)))
        weeks = _week_of(serial)[order]
        bounds = np.searchsorted(weeks, np.arange(WEEKS + 1))
        week_index[kind] = [order[bounds[w] : bounds[w + 1]] for w in range(WEEKS)]
    data["week_index"] = week_index
    _DATA = data


def _run_jobs(jobs: list[tuple]) -> None:
    workers = max(1, min(len(jobs), os.cpu_count() or 1))
    if workers == 1:
        for fn, arg in jobs:
            fn(arg)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as ex:
        futures = [ex.submit(fn, arg) for fn, arg in jobs]
        for f in futures:
            f.result()


def _manifest(d: Path, name: str) -> Path:
    return d / f"manifest-{name}.json"


def _cached(d: Path, name: str) -> list[Path] | None:
    m = _manifest(d, name)
    if not m.exists():
        return None
    files = [d / f for f in json.loads(m.read_text())["files"]]
    return files if all(f.exists() for f in files) else None


def _generate(n: int, out_dir: Path, seed: int, weekly: bool, single: bool) -> dict[str, list[Path]]:
    d = cache_dir(n, out_dir, seed)
    d.mkdir(parents=True, exist_ok=True)
    result: dict[str, list[Path]] = {}
    jobs: list[tuple] = []
    todo: dict[str, list[Path]] = {}
    if single:
        hit = _cached(d, "single")
        if hit:
            result["single"] = hit
        else:
            p = d / f"single_leads_{n}.xlsx"
            jobs.append((_write_single, str(p)))
            todo["single"] = [p]
    if weekly:
        hit = _cached(d, "weeks")
        if hit:
            result["weeks"] = hit
        else:
            paths = [
                d / f"week_{w + 1:02d}_{(START + dt.timedelta(weeks=w)).isoformat()}.xlsx"
                for w in range(WEEKS)
            ]
            jobs += [(_write_week, (w, str(p))) for w, p in enumerate(paths)]
            todo["weeks"] = paths
    if jobs:
        t0 = time.perf_counter()
        _prepare(n, seed)
        t1 = time.perf_counter()
        _run_jobs(jobs)
        t2 = time.perf_counter()
        for name, paths in todo.items():
            counts = {k: int(len(_DATA[k]["serial"])) for k in SHEET_ORDER[1:]}
            if name == "single":
                counts = {"leads": counts["leads"]}
            else:
                counts["roster"] = int(len(_DATA["roster"]["kam"]))
            info = {
                "n": n,
                "seed": seed,
                "version": GEN_VERSION,
                "files": [p.name for p in paths],
                "bytes": sum(p.stat().st_size for p in paths),
                "rows": counts,
                "build_seconds": round(t1 - t0, 2),
                "write_seconds_all_jobs": round(t2 - t1, 2),
                "created": dt.datetime.now().isoformat(timespec="seconds"),
            }
            _manifest(d, name).write_text(json.dumps(info, ensure_ascii=False, indent=1))
            result[name] = paths
    return result


def generate(n: int, out_dir: Path = DEFAULT_CACHE, seed: int = 1) -> list[Path]:
    """The 52 weekly workbooks of size N (cached under out_dir, keyed by n and seed)."""
    return _generate(n, out_dir, seed, weekly=True, single=False)["weeks"]


def generate_single(n: int, out_dir: Path = DEFAULT_CACHE, seed: int = 1) -> Path:
    """One workbook with one 报备 sheet of N lead rows (cached like generate())."""
    return _generate(n, out_dir, seed, weekly=False, single=True)["single"][0]


def generate_all(n: int, out_dir: Path = DEFAULT_CACHE, seed: int = 1) -> tuple[list[Path], Path]:
    """Both variants, written in one parallel pass when neither is cached."""
    r = _generate(n, out_dir, seed, weekly=True, single=True)
    return r["weeks"], r["single"][0]


def manifest(n: int, out_dir: Path = DEFAULT_CACHE, seed: int = 1, name: str = "weeks") -> dict | None:
    m = _manifest(cache_dir(n, out_dir, seed), name)
    return json.loads(m.read_text()) if m.exists() else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_CACHE)
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    weeks, single = generate_all(a.n, a.out_dir, a.seed)
    print(f"{len(weeks)} weekly workbooks + {single.name} in {cache_dir(a.n, a.out_dir, a.seed)}")
    print(f"{time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
