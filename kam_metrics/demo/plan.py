"""The demo's period built in time order (SEED): every row, its office typing habit and its known status."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from kam_metrics.demo.cast import (
    BRANDS,
    CONTACTS,
    DISTRICTS,
    FIRST_MONDAY,
    GIVEN,
    HONORIFICS,
    KAMS,
    LAST_DAY,
    PREFIXES,
    SALESPEOPLE,
    SEED,
    SURNAMES,
    TRADES,
    VISIT_NOTES,
    WALKIN_SOURCES,
    WEEKS,
    KamPlan,
)
from kam_metrics.demo.rows import Deal, Lead, Pooled, Registration, Unit, Visit, Week

# Office mistakes, by week index (0 = W37 … 11 = W48). A handful of each, never many.
_LEAD_WITHOUT_PHONE = {1, 6, 10}
_LEAD_BAD_PHONE = {2, 8}
_LEAD_EXACT_DUPLICATE = {3, 9}
_VISIT_PARTY_IN_WORDS = {5, 9}
VISIT_NOTE_FROM = 3  # visits sheets carry a 备注 column from W40 on
_LEAD_PHONE_STYLE = {0: "number", 1: "plus86", 2: "dash", 3: "fullwidth", 4: "number", 5: "plus86"}
_LEAD_PHONE_STYLE |= {6: "dash", 7: "fullwidth", 8: "number", 9: "plus86", 10: "dash", 11: "number"}
_LEAD_DATE_TEXT = {1: "slash", 3: "cn", 4: "dot", 5: "slash", 8: "cn", 10: "dot"}
_LEAD_SPACED_KAM = {2, 6, 9}
_VISIT_PHONE_NUMBER = {4, 7}
_VISIT_DATE_TEXT = {6: "cn"}
_UNIT_DATE_TEXT = {2: "dot", 9: "slash"}


class Demo:
    """Builds the whole period in time order, so each row's attribution status is known by construction."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.used_phones: set[str] = set()
        self.used_units: set[str] = set()
        self.registry: list[Registration] = []
        self.walkins: list[Registration] = []  # walk-ins no KAM has reported (yet)
        self.pool: dict[str, list[Pooled]] = {k.name: [] for k in KAMS}  # valid leads not yet visited
        self.valid_visits: list[Visit] = []
        self.valid_units: list[Unit] = []
        self.deals: list[Deal] = []
        self.weeks: list[Week] = []

    # -- small generators -------------------------------------------------------------------------
    def phone(self) -> str:
        while True:
            p = self.rng.choice(PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if p not in self.used_phones:
                self.used_phones.add(p)
                return p

    def full_name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def lead_name(self) -> str | None:
        r = self.rng.random()
        if r < 0.68:
            return self.full_name()
        if r < 0.92:
            return self.rng.choice(SURNAMES) + self.rng.choice(HONORIFICS)
        return None

    def moment(self, day: date, start: int = 9, end: int = 21) -> datetime:
        minute = self.rng.randrange(start * 60, end * 60)
        return datetime.combine(day, time(minute // 60, minute % 60))

    def unit_name(self) -> str:
        while True:
            n = self.rng.choice(DISTRICTS) + self.rng.choice(BRANDS) + self.rng.choice(TRADES)
            if n not in self.used_units:
                self.used_units.add(n)
                return n

    def register(self, at: datetime, name: str | None, phone: str, sp: str | None, source: str) -> None:
        r = Registration(at, name, phone, sp, source)
        roll = self.rng.random()
        if source != "大客户经理带访" and roll < 0.05:
            r.phone_style = "number"  # the office typed a few phones as numbers
        elif roll < 0.07:
            r.phone_style = "dash"
        self.registry.append(r)

    # -- the period -------------------------------------------------------------------------------
    def build(self) -> list[Week]:
        # Registrations from before the period: old walk-ins that KAMs may report later (registry_overlap).
        for _ in range(40):
            day = date(2026, 8, 1) + timedelta(days=self.rng.randrange(37))
            self.walkin(day)
        self.special_units()
        for w in range(WEEKS):
            monday = FIRST_MONDAY + timedelta(weeks=w)
            days = [d for d in (monday + timedelta(days=i) for i in range(7)) if d <= LAST_DAY]
            week = Week(monday, days)
            for day in days:
                for _ in range(self.rng.choice((1, 2, 2, 3))):
                    self.walkin(day)
            for kam in KAMS:
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
            self.rng.choice(SALESPEOPLE),
            self.rng.choice(WALKIN_SOURCES),
        )
        self.walkins.append(self.registry[-1])

    def special_units(self) -> None:
        # The same organisation canvassed twice, spelled differently (duplicate_unit).
        self.used_units.update({"华为技术有限公司", "ABB（中国）有限公司"})

    def plan(self, w: int, kam: KamPlan, active: list[date]) -> tuple[int, int, int]:
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

    def kam_week(self, week: Week, w: int, kam: KamPlan, active: list[date]) -> None:
        rng = self.rng
        n_leads, n_visits, n_units = self.plan(w, kam, active)
        pool = self.pool[kam.name]
        # Valid leads: fresh phones, the first report of each.
        for _ in range(n_leads):
            day = rng.choice(active)
            at = self.moment(day, 8, 22)
            lead = Lead(at, kam.name, self.lead_name(), self.phone(), fresh=True)
            if rng.random() < 0.03:
                lead.at, lead.date_only = datetime.combine(day, time()), True
            week.leads.append(lead)
            pool.append(Pooled(lead.phone, lead.name, lead.at))
        # registry_overlap: the customer registered at the office on an earlier date.
        for _ in range(rng.choice((0, 1, 1, 2))):
            day = rng.choice(active)
            known = [r for r in self.walkins if r.at.date() < day]
            if known:
                reg = known[rng.randrange(len(known))]
                self.walkins.remove(reg)
                week.leads.append(Lead(self.moment(day, 9, 21), kam.name, reg.name, reg.phone))
        # duplicate_own: the KAM reports one of their own phones again on a later day.
        if rng.random() < 0.6:
            day = rng.choice(active)
            mine = [p for p in pool if p.at.date() < day]
            if mine:
                p = mine[rng.randrange(len(mine))]
                week.leads.append(Lead(self.moment(day), kam.name, p.name, p.phone))
        # owned_by_other: a phone another KAM reported first; sometimes this KAM even brings the visit
        # (no_valid_claim), after which the owner's own visit would no longer be a first visit.
        if rng.random() < 0.5:
            day = rng.choice(active)
            others = [(k, p) for k, ps in self.pool.items() if k != kam.name for p in ps if p.at.date() < day]
            if others:
                owner, p = others[rng.randrange(len(others))]
                week.leads.append(Lead(self.moment(day), kam.name, p.name, p.phone))
                later = [d for d in active if d > day]
                if later and rng.random() < 0.35:
                    self.pool[owner].remove(p)
                    self.visit(week, kam.name, p.phone, p.name, rng.choice(later))
        self.kam_visits(week, kam, active, n_visits)
        self.kam_units(week, w, kam, active, n_units)

    def visit(self, week: Week, kam: str, phone: str, name: str | None, day: date, **kw: object) -> Visit:
        """One visit row, with the customer's check-in at the sales office a few minutes earlier."""
        at = self.moment(day, 9, 20)
        sp = kw.pop("salesperson", self.rng.choice(SALESPEOPLE))
        v = Visit(at, kam, name, phone, self.rng.choice((1, 2, 2, 2, 3, 3, 4, 5)), sp, **kw)  # type: ignore[arg-type]
        week.visits.append(v)
        check_in = at - timedelta(minutes=self.rng.randrange(2, 15))
        if self.rng.random() < 0.97:  # a few visitors never signed the office register
            self.register(
                check_in, name, phone, v.salesperson or self.rng.choice(SALESPEOPLE), "大客户经理带访"
            )
        return v

    def visit_name(self, lead_name: str | None) -> str:
        """The name the office writes at the visit: matches the lead's (an honorific matches the full name)."""
        if lead_name is None:
            return self.full_name()
        for h in HONORIFICS:
            if lead_name.endswith(h) and len(lead_name) > len(h):
                return lead_name[: -len(h)] + self.rng.choice(GIVEN)
        return lead_name

    def take(self, kam: str, before: date, gap: int = 1) -> Pooled | None:
        """A valid lead of this KAM reported at least ``gap`` days before ``before``, removed from the pool."""
        pool = self.pool[kam]
        eligible = [i for i, p in enumerate(pool) if (before - p.at.date()).days >= gap]
        if not eligible:
            return None
        # Customers mostly come within a few weeks of the report: prefer the older half of the pool.
        i = eligible[self.rng.randrange(max(1, len(eligible) // 2 + 1))]
        return pool.pop(i)

    def kam_visits(self, week: Week, kam: KamPlan, active: list[date], n_visits: int) -> None:
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
                    self.register(walk, p.name, p.phone, rng.choice(SALESPEOPLE), "自然到访")
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

    def kam_units(self, week: Week, w: int, kam: KamPlan, active: list[date], n_units: int) -> None:
        rng = self.rng

        def photo(day: date) -> str:
            return f"IMG_{day:%Y%m%d}_{rng.randrange(80000, 200000):06d}.jpg"

        for _ in range(n_units):
            day = rng.choice(active)
            u = Unit(day, kam.name, self.unit_name(), photo(day), rng.choice(CONTACTS))
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
            week.units.append(Unit(day, kam.name, self.unit_name(), None, rng.choice(CONTACTS)))
        spelled = {"华为技术有限公司": "华为 技术有限公司", "ABB（中国）有限公司": "abb (中国) 有限公司"}
        if w == 1 and kam.name == "张强":
            week.units.append(Unit(day, kam.name, spelled["华为技术有限公司"], photo(day), "行政部刘女士"))
        elif w == 3 and kam.name == "杨帆":
            week.units.append(Unit(day, kam.name, spelled["ABB（中国）有限公司"], photo(day), "前台周小姐"))
        elif rng.random() < 0.1:  # a unit another KAM already has (duplicate_unit)
            theirs = [u for u in self.valid_units if u.kam != kam.name and u.day < day]
            if theirs:
                u = theirs[rng.randrange(len(theirs))]
                week.units.append(Unit(day, kam.name, u.name, photo(day), rng.choice(CONTACTS)))

    def week_deals(self, week: Week, w: int) -> None:
        rng = self.rng
        for i in range(3 if len(week.days) == 7 else 1):
            day = rng.choice(week.days)
            kind = rng.choices(("visit", "lead", "none"), (6, 2, 2))[0]
            if w == 1 and i == 0:  # the deal that is cancelled later must be one a KAM brought
                kind, day = "visit", week.days[-1]
            sp = rng.choice(SALESPEOPLE)
            if kind == "visit":
                dealt = {d.phone for d in self.deals}
                done = [v for v in self.valid_visits if v.at.date() < day and v.phone not in dealt]
                if not done:
                    kind = "none"
                else:
                    v = done[rng.randrange(len(done))]
                    phone, name, sp = v.phone, v.name, v.salesperson or sp
            if kind == "lead":
                kams = [k.name for k in KAMS if k.name != "张强"]
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
            deal = Deal(
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

    def decorate(self, week: Week, w: int) -> None:
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
            week.leads.insert(insert_at, Lead(self.moment(week.days[0]), picks[7].kam, "赵先生", None))
        if w in _LEAD_BAD_PHONE:
            week.leads.insert(
                insert_at + 1, Lead(self.moment(week.days[0]), picks[8].kam, "钱女士", "1381234567")
            )
        visits = rng.sample(week.visits, 4)
        if w in _VISIT_PHONE_NUMBER:
            for v in visits[:2]:
                v.phone_style = "number"
        if w in _VISIT_DATE_TEXT:
            visits[2].date_style = _VISIT_DATE_TEXT[w]
        if w in _VISIT_PARTY_IN_WORDS:
            visits[3].party = "三"
        if w >= VISIT_NOTE_FROM:
            for v in week.visits:
                v.note = rng.choice(VISIT_NOTES)
        if w in _UNIT_DATE_TEXT:
            for u in rng.sample(week.units, 2):
                u.date_style = _UNIT_DATE_TEXT[w]
