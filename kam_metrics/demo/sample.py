"""Deterministic demo data: the weekly workbooks a sales director's office uploads (SPEC §2)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from kam_metrics.contract.sheets import KINDS

SEED = 20260907
FIRST_MONDAY = date(2026, 9, 7)
WEEKS = 12  # 11 complete weeks (W37..W47) and W48, which is still in progress
LAST_DAY = date(2026, 11, 25)  # Wednesday of W48: the demo's as_of
CREATED = datetime(2026, 11, 26)  # fixed workbook property, so every run writes identical bytes
PROJECT = "保利国际广场"


@dataclass(frozen=True)
class _KamPlan:
    name: str
    team: str
    start: date
    end: date | None = None
    listed_from: int = 0  # index of the first weekly file whose roster names this KAM
    end_listed_from: int = 0  # index of the first weekly file whose roster shows end_date
    missed: frozenset[int] = frozenset()  # week indexes in which the KAM falls short of a quota


# 张强 misses W43..W47 (streak 5: dismissal review); 刘洋 misses W46 and W47 (warning);
# 杨帆 misses three weeks in a row and recovers; 周杰 joins mid-week, 吴芳 leaves mid-week.
_KAMS = (
    _KamPlan("王伟", "一组", date(2025, 4, 1), missed=frozenset({3})),
    _KamPlan("李娜", "一组", date(2024, 11, 11)),
    _KamPlan("张强", "一组", date(2025, 8, 18), missed=frozenset({6, 7, 8, 9, 10})),
    _KamPlan("刘洋", "一组", date(2026, 3, 2), missed=frozenset({4, 9, 10})),
    _KamPlan("陈静", "二组", date(2025, 6, 9), missed=frozenset({2})),
    _KamPlan("杨帆", "二组", date(2026, 5, 6), missed=frozenset({1, 2, 3})),
    _KamPlan("周杰", "二组", date(2026, 9, 23), listed_from=2, missed=frozenset({3})),
    _KamPlan(
        "吴芳", "二组", date(2025, 2, 17), end=date(2026, 10, 28), end_listed_from=7, missed=frozenset({5})
    ),
)
_SALESPEOPLE = ("孙丽", "马超", "胡静", "郭涛", "林峰", "何雪", "罗婷")
_WALKIN_SOURCES = ("自然到访", "老带新", "网络推广", "户外广告", "电话来访")
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
)
_GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建国",
    "建华",
    "志强",
    "晓红",
    "海燕",
    "子涵",
    "浩然",
    "雨萱",
    "欣怡",
    "梓轩",
    "宇轩",
    "思远",
    "嘉怡",
    "俊杰",
    "文博",
    "佳琪",
    "立新",
    "国庆",
    "春梅",
    "玉兰",
    "红梅",
    "永刚",
    "德明",
    "小燕",
    "婷婷",
    "晨阳",
    "一鸣",
    "雅琴",
]
_HONORIFICS = ("先生", "女士", "先生", "女士", "总", "老师", "小姐", "经理")
_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "198",
    "199",
]
_DISTRICTS = ("南山", "福田", "罗湖", "宝安", "龙岗", "龙华", "光明", "坪山", "盐田", "前海")
_BRANDS = [
    "恒信",
    "华泰",
    "鹏程",
    "盛世",
    "远航",
    "中科",
    "天元",
    "金桥",
    "汇通",
    "宏达",
    "瑞丰",
    "博雅",
    "启明",
    "新锐",
    "安泰",
    "万达",
    "东方",
    "银河",
    "卓越",
    "凯旋",
    "永安",
    "嘉禾",
    "创维",
    "德信",
    "海纳",
    "百川",
    "星辰",
    "蓝海",
    "润泽",
    "同济",
]
_TRADES = (
    "科技有限公司",
    "电子有限公司",
    "物流有限公司",
    "建设集团",
    "医药有限公司",
    "投资有限公司",
    "实验学校",
    "会计师事务所",
    "律师事务所",
    "人民医院分院",
    "供电局营业部",
    "税务所",
    "商业银行支行",
    "设计院",
    "制造有限公司",
)
_CONTACTS = ("人事部张经理", "行政部刘女士", "工会王主席", "办公室陈主任", "综合部李经理", "前台周小姐")
_VISIT_NOTES = ("客户意向强", "二次置业", "关注学区", "预算偏紧", "带父母看房", "", "", "", "", "")
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# Header rows use only aliases of schema.py (mostly the canonical first alias).
_HEADERS = {
    "roster": ("大客户经理", "团队", "入职日期", "离职日期"),
    "registrations": ("登记时间", "客户姓名", "联系电话", "置业顾问", "来源"),
    "units": ("拓展日期", "大客户经理", "单位名称", "照片", "联系人"),
    "leads": ("报备时间", "大客户经理", "客户姓名", "手机号"),
    "visits": ("到访时间", "大客户经理", "客户姓名", "手机号", "人数", "接待置业顾问"),
    "deals": (
        "成交日期",
        "客户姓名",
        "手机号",
        "房号",
        "成交金额",
        "置业顾问",
        "置业顾问佣金",
        "状态",
        "退房日期",
    ),
}
_UNKNOWN_COLUMN = "备注"  # not an alias of any field: ingestion keeps and ignores it

# Office mistakes, by week index (0 = W37 … 11 = W48). A handful of each, never many.
_TITLE_ROWS = {"registrations": {0, 3, 7, 11}, "leads": {5}}
_BLANK_ROW = {"leads": {4}, "visits": {8}, "registrations": {6}}
_LEAD_WITHOUT_PHONE = {1, 6, 10}
_LEAD_BAD_PHONE = {2, 8}
_LEAD_EXACT_DUPLICATE = {3, 9}
_VISIT_PARTY_IN_WORDS = {5, 9}
_VISIT_NOTE_FROM = 3  # visits sheets carry a 备注 column from W40 on
_LEAD_PHONE_STYLE = {0: "number", 1: "plus86", 2: "dash", 3: "fullwidth", 4: "number", 5: "plus86"}
_LEAD_PHONE_STYLE |= {6: "dash", 7: "fullwidth", 8: "number", 9: "plus86", 10: "dash", 11: "number"}
_LEAD_DATE_TEXT = {1: "slash", 3: "cn", 4: "dot", 5: "slash", 8: "cn", 10: "dot"}
_LEAD_SPACED_KAM = {2, 6, 9}
_VISIT_PHONE_NUMBER = {4, 7}
_VISIT_DATE_TEXT = {6: "cn"}
_UNIT_DATE_TEXT = {2: "dot", 9: "slash"}


@dataclass
class _Registration:
    at: datetime
    name: str | None
    phone: str
    salesperson: str | None
    source: str
    phone_style: str = "plain"


@dataclass
class _Lead:
    at: datetime
    kam: str
    name: str | None
    phone: str | None
    date_only: bool = False
    phone_style: str = "plain"
    date_style: str | None = None
    spaced_kam: bool = False
    fresh: bool = False  # the first lead ever for its phone: safe to restyle


@dataclass
class _Visit:
    at: datetime
    kam: str
    name: str | None
    phone: str
    party: int | str
    salesperson: str | None
    note: str = ""
    phone_style: str = "plain"
    date_style: str | None = None


@dataclass
class _Unit:
    day: date
    kam: str
    name: str
    photo: str | None
    contact: str
    date_style: str | None = None


@dataclass
class _Deal:
    signed: date
    name: str | None
    phone: str
    property: str
    amount: int
    salesperson: str
    commission: int
    money_style: str = "number"
    date_style: str | None = None
    cancelled: date | None = None
    cancel_listed_from: int = WEEKS
    via: str = ""  # how the customer came: "visit", "lead" or "none" (for the demo's own bookkeeping)


@dataclass
class _Week:
    monday: date
    days: list[date]
    leads: list[_Lead] = field(default_factory=list)
    visits: list[_Visit] = field(default_factory=list)
    units: list[_Unit] = field(default_factory=list)
    registry_size: int = 0  # the registry is cumulative: the first registry_size registrations
    deals_until: date = LAST_DAY

    @property
    def file_name(self) -> str:
        iso = self.monday.isocalendar()
        return f"{iso.year}-W{iso.week:02d}_周报.xlsx"


@dataclass
class _Pooled:
    phone: str
    name: str | None
    at: datetime


class _Demo:
    """Builds the whole period in time order, so each row's attribution status is known by construction."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.used_phones: set[str] = set()
        self.used_units: set[str] = set()
        self.registry: list[_Registration] = []
        self.walkins: list[_Registration] = []  # walk-ins no KAM has reported (yet)
        self.pool: dict[str, list[_Pooled]] = {k.name: [] for k in _KAMS}  # valid leads not yet visited
        self.valid_visits: list[_Visit] = []
        self.valid_units: list[_Unit] = []
        self.deals: list[_Deal] = []
        self.weeks: list[_Week] = []

    # -- small generators -------------------------------------------------------------------------
    def phone(self) -> str:
        while True:
            p = self.rng.choice(_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if p not in self.used_phones:
                self.used_phones.add(p)
                return p

    def full_name(self) -> str:
        return self.rng.choice(_SURNAMES) + self.rng.choice(_GIVEN)

    def lead_name(self) -> str | None:
        r = self.rng.random()
        if r < 0.68:
            return self.full_name()
        if r < 0.92:
            return self.rng.choice(_SURNAMES) + self.rng.choice(_HONORIFICS)
        return None

    def moment(self, day: date, start: int = 9, end: int = 21) -> datetime:
        minute = self.rng.randrange(start * 60, end * 60)
        return datetime.combine(day, time(minute // 60, minute % 60))

    def unit_name(self) -> str:
        while True:
            n = self.rng.choice(_DISTRICTS) + self.rng.choice(_BRANDS) + self.rng.choice(_TRADES)
            if n not in self.used_units:
                self.used_units.add(n)
                return n

    def register(self, at: datetime, name: str | None, phone: str, sp: str | None, source: str) -> None:
        r = _Registration(at, name, phone, sp, source)
        roll = self.rng.random()
        if source != "大客户经理带访" and roll < 0.05:
            r.phone_style = "number"  # the office typed a few phones as numbers
        elif roll < 0.07:
            r.phone_style = "dash"
        self.registry.append(r)

    # -- the period -------------------------------------------------------------------------------
    def build(self) -> list[_Week]:
        # Registrations from before the period: old walk-ins that KAMs may report later (registry_overlap).
        for _ in range(40):
            day = date(2026, 8, 1) + timedelta(days=self.rng.randrange(37))
            self.walkin(day)
        self.special_units()
        for w in range(WEEKS):
            monday = FIRST_MONDAY + timedelta(weeks=w)
            days = [d for d in (monday + timedelta(days=i) for i in range(7)) if d <= LAST_DAY]
            week = _Week(monday, days)
            for day in days:
                for _ in range(self.rng.choice((1, 2, 2, 3))):
                    self.walkin(day)
            for kam in _KAMS:
                active = [d for d in days if d >= kam.start and (kam.end is None or d <= kam.end)]
                if active:
                    self.kam_week(week, w, kam, active)
            self.week_deals(week, w)
            week.leads.sort(key=lambda r: (r.at, r.kam))
            week.visits.sort(key=lambda r: (r.at, r.kam))
            week.units.sort(key=lambda r: (r.day, r.kam))
            self.decorate(week, w)
            self.registry.sort(key=lambda r: r.at)
            week.registry_size = len(self.registry)
            week.deals_until = days[-1]
            self.weeks.append(week)
        self.cancel_one_deal()
        return self.weeks

    def walkin(self, day: date) -> None:
        name = self.full_name() if self.rng.random() < 0.9 else None
        self.register(
            self.moment(day, 9, 20),
            name,
            self.phone(),
            self.rng.choice(_SALESPEOPLE),
            self.rng.choice(_WALKIN_SOURCES),
        )
        self.walkins.append(self.registry[-1])

    def special_units(self) -> None:
        # The same organisation canvassed twice, spelled differently (duplicate_unit).
        self.used_units.update({"华为技术有限公司", "ABB（中国）有限公司"})

    def plan(self, w: int, kam: _KamPlan, active: list[date]) -> tuple[int, int, int]:
        rng = self.rng
        leads, visits, units = 100 + rng.randrange(15), 16 + rng.randrange(5), 3 + rng.randrange(3)
        if w in kam.missed:
            short = {q for q in ("leads", "visits", "units") if rng.random() < 0.5} or {"visits"}
            if kam.name == "张强":
                short |= {"leads", "visits"}
            if "leads" in short:
                leads = 72 + rng.randrange(25)
            if "visits" in short:
                visits = 9 + rng.randrange(7)
            if "units" in short:
                units = rng.randrange(3)
        share = len(active) / 7
        return round(leads * share), round(visits * share), max(1 if share > 0.3 else 0, round(units * share))

    def kam_week(self, week: _Week, w: int, kam: _KamPlan, active: list[date]) -> None:
        rng = self.rng
        n_leads, n_visits, n_units = self.plan(w, kam, active)
        pool = self.pool[kam.name]
        # Valid leads: fresh phones, the first report of each.
        for _ in range(n_leads):
            day = rng.choice(active)
            at = self.moment(day, 8, 22)
            lead = _Lead(at, kam.name, self.lead_name(), self.phone(), fresh=True)
            if rng.random() < 0.03:
                lead.at, lead.date_only = datetime.combine(day, time()), True
            week.leads.append(lead)
            pool.append(_Pooled(lead.phone, lead.name, lead.at))
        # registry_overlap: the customer registered at the office on an earlier date.
        for _ in range(rng.choice((0, 1, 1, 2))):
            day = rng.choice(active)
            known = [r for r in self.walkins if r.at.date() < day]
            if known:
                reg = known[rng.randrange(len(known))]
                self.walkins.remove(reg)
                week.leads.append(_Lead(self.moment(day, 9, 21), kam.name, reg.name, reg.phone))
        # duplicate_own: the KAM reports one of their own phones again on a later day.
        if rng.random() < 0.6:
            day = rng.choice(active)
            mine = [p for p in pool if p.at.date() < day]
            if mine:
                p = mine[rng.randrange(len(mine))]
                week.leads.append(_Lead(self.moment(day), kam.name, p.name, p.phone))
        # owned_by_other: a phone another KAM reported first; sometimes this KAM even brings the visit
        # (no_valid_claim), after which the owner's own visit would no longer be a first visit.
        if rng.random() < 0.5:
            day = rng.choice(active)
            others = [(k, p) for k, ps in self.pool.items() if k != kam.name for p in ps if p.at.date() < day]
            if others:
                owner, p = others[rng.randrange(len(others))]
                week.leads.append(_Lead(self.moment(day), kam.name, p.name, p.phone))
                later = [d for d in active if d > day]
                if later and rng.random() < 0.35:
                    self.pool[owner].remove(p)
                    self.visit(week, kam.name, p.phone, p.name, rng.choice(later))
        self.kam_visits(week, kam, active, n_visits)
        self.kam_units(week, w, kam, active, n_units)

    def visit(self, week: _Week, kam: str, phone: str, name: str | None, day: date, **kw: object) -> _Visit:
        """One visit row, with the customer's check-in at the sales office a few minutes earlier."""
        at = self.moment(day, 9, 20)
        sp = kw.pop("salesperson", self.rng.choice(_SALESPEOPLE))
        v = _Visit(at, kam, name, phone, self.rng.choice((1, 2, 2, 2, 3, 3, 4, 5)), sp, **kw)  # type: ignore[arg-type]
        week.visits.append(v)
        check_in = at - timedelta(minutes=self.rng.randrange(2, 15))
        if self.rng.random() < 0.97:  # a few visitors never signed the office register
            self.register(
                check_in, name, phone, v.salesperson or self.rng.choice(_SALESPEOPLE), "大客户经理带访"
            )
        return v

    def visit_name(self, lead_name: str | None) -> str:
        """The name the office writes at the visit: matches the lead's (an honorific matches the full name)."""
        if lead_name is None:
            return self.full_name()
        for h in _HONORIFICS:
            if lead_name.endswith(h) and len(lead_name) > len(h):
                return lead_name[: -len(h)] + self.rng.choice(_GIVEN)
        return lead_name

    def take(self, kam: str, before: date, gap: int = 1) -> _Pooled | None:
        """A valid lead of this KAM reported at least ``gap`` days before ``before``, removed from the pool."""
        pool = self.pool[kam]
        eligible = [i for i, p in enumerate(pool) if (before - p.at.date()).days >= gap]
        if not eligible:
            return None
        # Customers mostly come within a few weeks of the report: prefer the older half of the pool.
        i = eligible[self.rng.randrange(max(1, len(eligible) // 2 + 1))]
        return pool.pop(i)

    def kam_visits(self, week: _Week, kam: _KamPlan, active: list[date], n_visits: int) -> None:
        rng = self.rng
        weights = [(1, 1, 1, 1, 1.5, 3, 3)[d.weekday()] for d in active]
        made = 0
        for _ in range(n_visits * 3):
            if made == n_visits:
                break
            day = rng.choices(active, weights)[0]
            p = self.take(kam.name, day)
            if p is None:
                continue
            v = self.visit(week, kam.name, p.phone, self.visit_name(p.name), day)
            self.valid_visits.append(v)
            made += 1
            if rng.random() < 0.015:  # the same party logged twice that day (duplicate_visit)
                again = self.visit(week, kam.name, v.phone, v.name, day, salesperson=v.salesperson)
                again.at = max(again.at, v.at + timedelta(minutes=30))
        extras = (
            ("not_reported", 0.25),
            ("not_first_visit", 0.15),
            ("repeat", 0.15),
            ("name_mismatch", 0.12),
            ("no_handover", 0.12),
        )
        for kind, chance in extras:
            if rng.random() >= chance:
                continue
            day = rng.choices(active, weights)[0]
            if kind == "not_reported":
                self.visit(week, kam.name, self.phone(), self.full_name(), day)
            elif kind == "not_first_visit":
                p = self.take(kam.name, day, gap=2)
                if p:  # the customer came by alone the day before the KAM brought them
                    walk = datetime.combine(day - timedelta(days=1), time(15, rng.randrange(60)))
                    self.register(walk, p.name, p.phone, rng.choice(_SALESPEOPLE), "自然到访")
                    self.visit(week, kam.name, p.phone, self.visit_name(p.name), day)
            elif kind == "repeat":
                seen = [v for v in self.valid_visits if v.kam == kam.name and v.at.date() < day]
                if seen:
                    v = seen[rng.randrange(len(seen))]
                    self.visit(week, kam.name, v.phone, v.name, day)
            elif kind == "name_mismatch":
                p = self.take(kam.name, day)
                if p:
                    other = self.full_name()
                    while p.name and other.startswith(p.name[0]):
                        other = self.full_name()
                    self.visit(week, kam.name, p.phone, other, day)
            else:
                p = self.take(kam.name, day)
                if p:
                    self.visit(week, kam.name, p.phone, self.visit_name(p.name), day, salesperson=None)

    def kam_units(self, week: _Week, w: int, kam: _KamPlan, active: list[date], n_units: int) -> None:
        rng = self.rng

        def photo(day: date) -> str:
            return f"IMG_{day:%Y%m%d}_{rng.randrange(80000, 200000):06d}.jpg"

        for _ in range(n_units):
            day = rng.choice(active)
            u = _Unit(day, kam.name, self.unit_name(), photo(day), rng.choice(_CONTACTS))
            if w == 0 and kam.name == "李娜" and all(x.name != "华为技术有限公司" for x in self.valid_units):
                u.name = "华为技术有限公司"
            if (
                w == 1
                and kam.name == "陈静"
                and all(x.name != "ABB（中国）有限公司" for x in self.valid_units)
            ):
                u.name = "ABB（中国）有限公司"
            week.units.append(u)
            self.valid_units.append(u)
        day = rng.choice(active)
        if rng.random() < 0.15:  # canvassed, but no photo was taken
            week.units.append(_Unit(day, kam.name, self.unit_name(), None, rng.choice(_CONTACTS)))
        spelled = {"华为技术有限公司": "华为 技术有限公司", "ABB（中国）有限公司": "abb (中国) 有限公司"}
        if w == 1 and kam.name == "张强":
            week.units.append(_Unit(day, kam.name, spelled["华为技术有限公司"], photo(day), "行政部刘女士"))
        elif w == 3 and kam.name == "杨帆":
            week.units.append(_Unit(day, kam.name, spelled["ABB（中国）有限公司"], photo(day), "前台周小姐"))
        elif rng.random() < 0.1:  # a unit another KAM already has (duplicate_unit)
            theirs = [u for u in self.valid_units if u.kam != kam.name and u.day < day]
            if theirs:
                u = theirs[rng.randrange(len(theirs))]
                week.units.append(_Unit(day, kam.name, u.name, photo(day), rng.choice(_CONTACTS)))

    def week_deals(self, week: _Week, w: int) -> None:
        rng = self.rng
        for i in range(3 if len(week.days) == 7 else 1):
            day = rng.choice(week.days)
            kind = rng.choices(("visit", "lead", "none"), (6, 2, 2))[0]
            if w == 1 and i == 0:  # the deal that is cancelled later must be one a KAM brought
                kind, day = "visit", week.days[-1]
            sp = rng.choice(_SALESPEOPLE)
            if kind == "visit":
                dealt = {d.phone for d in self.deals}
                done = [v for v in self.valid_visits if v.at.date() < day and v.phone not in dealt]
                if not done:
                    kind = "none"
                else:
                    v = done[rng.randrange(len(done))]
                    phone, name, sp = v.phone, v.name, v.salesperson or sp
            if kind == "lead":
                kams = [k.name for k in _KAMS if k.name != "张强"]
                p = self.take(rng.choice(kams), day, gap=2)
                if p is None:
                    kind = "none"
                else:  # the customer came back alone and bought: the KAM only reported the number
                    name = self.visit_name(p.name)
                    self.register(self.moment(day - timedelta(days=1), 10, 18), name, p.phone, sp, "自然到访")
                    phone = p.phone
            if kind == "none":
                regs = [r for r in self.walkins if r.at.date() < day]
                if not regs:
                    continue
                reg = regs[rng.randrange(len(regs))]
                self.walkins.remove(reg)
                phone, name, sp = reg.phone, reg.name, reg.salesperson or sp
            commission = rng.choice((3000, 3500, 4000, 4000, 4000, 4500, 5000, 6000, 6500, 8000))
            building, floor, flat = rng.randrange(1, 12), rng.randrange(2, 33), rng.randrange(1, 5)
            deal = _Deal(
                day,
                name,
                phone,
                f"{building}栋{floor}{flat:02d}",
                rng.randrange(1800, 4600) * 1000,
                sp,
                commission,
            )
            deal.via = kind
            n = len(self.deals)
            deal.money_style = {3: "yen", 7: "thousands", 11: "yuan", 16: "yen", 21: "thousands"}.get(
                n, "number"
            )
            deal.date_style = {5: "cn", 13: "slash"}.get(n)
            self.deals.append(deal)

    def cancel_one_deal(self) -> None:
        # A W38 deal is cancelled (退房) in W42; files from W42 on list it with 状态 退房.
        w38 = FIRST_MONDAY + timedelta(weeks=1)
        deal = next(d for d in self.deals if w38 <= d.signed < w38 + timedelta(weeks=1) and d.via == "visit")
        deal.cancelled = date(2026, 10, 14)
        deal.cancel_listed_from = 5

    def decorate(self, week: _Week, w: int) -> None:
        """The office's typing habits: a handful of odd but readable cells, and a few unreadable ones."""
        rng = self.rng
        fresh = [r for r in week.leads if r.fresh and not r.date_only]
        picks = rng.sample(fresh, 9)
        for r in picks[:2]:
            r.phone_style = _LEAD_PHONE_STYLE[w]
        if w in _LEAD_DATE_TEXT:
            for r in picks[2:4]:
                r.date_style = _LEAD_DATE_TEXT[w]
                r.date_only = r.date_style != "cn"
        if w in _LEAD_SPACED_KAM:
            for r in picks[4:6]:
                r.spaced_kam = True
        insert_at = rng.randrange(5, len(week.leads) - 5)
        if w in _LEAD_EXACT_DUPLICATE:
            week.leads.insert(week.leads.index(picks[6]) + 1, picks[6])  # the same row pasted twice
        if w in _LEAD_WITHOUT_PHONE:
            week.leads.insert(insert_at, _Lead(self.moment(week.days[0]), picks[7].kam, "赵先生", None))
        if w in _LEAD_BAD_PHONE:
            week.leads.insert(
                insert_at + 1, _Lead(self.moment(week.days[0]), picks[8].kam, "钱女士", "1381234567")
            )
        visits = rng.sample(week.visits, 4)
        if w in _VISIT_PHONE_NUMBER:
            for v in visits[:2]:
                v.phone_style = "number"
        if w in _VISIT_DATE_TEXT:
            visits[2].date_style = _VISIT_DATE_TEXT[w]
        if w in _VISIT_PARTY_IN_WORDS:
            visits[3].party = "三"
        if w >= _VISIT_NOTE_FROM:
            for v in week.visits:
                v.note = rng.choice(_VISIT_NOTES)
        if w in _UNIT_DATE_TEXT:
            for u in rng.sample(week.units, 2):
                u.date_style = _UNIT_DATE_TEXT[w]


# -- writing --------------------------------------------------------------------------------------


def _phone_cell(phone: str | None, style: str) -> object:
    if phone is None:
        return None
    if style == "number":
        return int(phone)
    if style == "plus86":
        return f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
    if style == "dash":
        return f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
    if style == "fullwidth":
        return phone.translate(_FULLWIDTH)
    return phone


def _date_cell(at: datetime | date, style: str | None, date_only: bool) -> object:
    if style == "slash":
        return f"{at.year}/{at.month}/{at.day}"
    if style == "dot":
        return f"{at.year}.{at.month:02d}.{at.day:02d}"
    if style == "cn" and isinstance(at, datetime) and not date_only:
        return f"{at.year}年{at.month}月{at.day}日 {at.hour}:{at.minute:02d}"
    if style == "cn":
        return f"{at.year}年{at.month}月{at.day}日"
    if isinstance(at, datetime) and not date_only:
        return at
    return at.date() if isinstance(at, datetime) else at


def _money_cell(value: int, style: str) -> object:
    if style == "yen":
        return f"¥{value:,}"
    if style == "thousands":
        return f"{value:,}"
    if style == "yuan":
        return f"{value}元"
    return value


def _spaced(name: str) -> str:
    return " ".join(name)


_WIDTHS = {"roster": 14, "registrations": 18, "units": 24, "leads": 18, "visits": 18, "deals": 15}


class _Writer:
    def __init__(self, path: Path) -> None:
        self.wb = xlsxwriter.Workbook(str(path))
        self.wb.set_properties({"created": CREATED, "author": PROJECT, "title": PROJECT})
        self.header = self.wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.title = self.wb.add_format({"bold": True, "font_size": 14})
        self.datetime = self.wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.date = self.wb.add_format({"num_format": "yyyy-mm-dd"})

    def sheet(
        self, kind: str, rows: list[list[object] | None], *, title: bool = False, extra: bool = False
    ) -> None:
        ws = self.wb.add_worksheet(KINDS[kind].aliases[0])
        headers = list(_HEADERS[kind]) + ([_UNKNOWN_COLUMN] if extra else [])
        ws.set_column(0, len(headers) - 1, _WIDTHS[kind])
        r = 0
        if title:
            ws.write_string(0, 0, f"{PROJECT}{KINDS[kind].aliases[0]}表", self.title)
            r = 1
        for c, h in enumerate(headers):
            ws.write_string(r, c, h, self.header)
        ws.freeze_panes(r + 1, 0)
        for row in rows:
            r += 1
            for c, value in enumerate(row or ()):
                self.cell(ws, r, c, value)

    def cell(self, ws: Worksheet, r: int, c: int, value: object) -> None:
        if value is None or value == "":
            return
        if isinstance(value, datetime):
            ws.write_datetime(r, c, value, self.datetime)
        elif isinstance(value, date):
            ws.write_datetime(r, c, datetime.combine(value, time()), self.date)
        elif isinstance(value, int | float):
            ws.write_number(r, c, value)
        else:
            ws.write_string(r, c, str(value))

    def close(self) -> None:
        self.wb.close()


def _with_blank(rows: list[list[object] | None], w: int, kind: str) -> list[list[object] | None]:
    if w in _BLANK_ROW[kind] and len(rows) > 10:
        mid = len(rows) // 2
        return rows[:mid] + [None] + rows[mid:]
    return rows


def _write_week(path: Path, demo: _Demo, w: int) -> None:
    week = demo.weeks[w]
    out = _Writer(path)
    roster = []
    for k in _KAMS:
        if w < k.listed_from:
            continue
        start = (
            f"{k.start.year}/{k.start.month}/{k.start.day}"
            if k.start.year == 2026 and k.start.month == 9
            else k.start
        )
        end = k.end if (k.end and w >= k.end_listed_from) else None
        roster.append([k.name, k.team, start, end])
    out.sheet("roster", roster)
    registry = [
        [r.at, r.name, _phone_cell(r.phone, r.phone_style), r.salesperson, r.source]
        for r in demo.registry[: week.registry_size]
    ]
    out.sheet(
        "registrations", _with_blank(registry, w, "registrations"), title=w in _TITLE_ROWS["registrations"]
    )
    units = [[_date_cell(u.day, u.date_style, True), u.kam, u.name, u.photo, u.contact] for u in week.units]
    out.sheet("units", units)
    leads = [
        [
            _date_cell(r.at, r.date_style, r.date_only),
            _spaced(r.kam) if r.spaced_kam else r.kam,
            r.name,
            _phone_cell(r.phone, r.phone_style),
        ]
        for r in week.leads
    ]
    out.sheet("leads", _with_blank(leads, w, "leads"), title=w in _TITLE_ROWS["leads"])
    extra = w >= _VISIT_NOTE_FROM
    visits = [
        [
            _date_cell(v.at, v.date_style, False),
            v.kam,
            v.name,
            _phone_cell(v.phone, v.phone_style),
            v.party,
            v.salesperson,
        ]
        + ([v.note] if extra else [])
        for v in week.visits
    ]
    out.sheet("visits", _with_blank(visits, w, "visits"), extra=extra)
    deals = []
    for d in demo.deals:
        if d.signed > week.deals_until:
            continue
        cancelled = d.cancelled is not None and w >= d.cancel_listed_from
        deals.append(
            [
                _date_cell(d.signed, d.date_style, True),
                d.name,
                d.phone,
                d.property,
                d.amount,
                d.salesperson,
                _money_cell(d.commission, d.money_style),
                "退房" if cancelled else "已签约",
                d.cancelled if cancelled else None,
            ]
        )
    out.sheet("deals", deals)
    out.close()


def write_sample(out_dir: str | Path) -> list[Path]:
    """Write the demo's weekly workbooks (``2026-W37_周报.xlsx`` … ``2026-W48_周报.xlsx``) into ``out_dir``.

    The content is fixed by a seed and the workbooks carry a fixed creation date, so every run writes
    byte-identical files. Returns the paths in week order.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    demo = _Demo()
    demo.build()
    paths = []
    for w, week in enumerate(demo.weeks):
        path = out / week.file_name
        _write_week(path, demo, w)
        paths.append(path)
    return paths
