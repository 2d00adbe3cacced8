"""Undo of one upload without re-reading any file: the later uploads are re-derived from their stored and seen rows.

An upload's accepted rows, rejected rows and warnings depend on its file alone; what depends on the uploads before it
is which of them are stored (SPEC §2: a key stored once, a roster or deal row that changes nothing, a rejected row
stored once), its data date, whether it is a repeat and its sheets' duplicate and superseded counts. ``store_sheet``
keeps the accepted rows it does not store in ``seen_<kind>`` (and ``seen_rejected``, ``seen_warnings``,
``seen_sheets``), so removing upload U re-decides exactly those things for the uploads after U:

- a later repeat of U (same sha256, same rows) becomes the original: U's rows are re-labelled to it;
- keep kinds: for the keys U stored, the first occurrence in (upload, sheet, row) order among the rows left is stored;
- replace kinds (roster, deals): the keys U held, and those of uploads whose data date changed, are replayed upload
  by upload with store_sheet's rules (in Python: a few thousand rows at most);
- rejected rows: for the raw values U stored, the first occurrence left is stored; warnings follow their rows;
- data dates, repeats and the later sheets' duplicate and superseded counts are recomputed.

The store is then the one the replay (ingesting the remaining files in order) gives.
"""

from __future__ import annotations

import pyarrow as pa

from kam_metrics.contract.sheets import SHEET_KINDS
from kam_metrics.ingest.schema import data_columns

SEEN_TABLES = [f"seen_{k.name}" for k in SHEET_KINDS] + ["seen_rejected", "seen_warnings", "seen_sheets"]
_UPLOAD_TABLES = [k.name for k in SHEET_KINDS] + ["rejected", "warnings", "upload_sheets"] + SEEN_TABLES


def ready(cur, upload_id: int) -> bool:
    """Whether the uploads after this one have their seen rows (stored by schema 6's code), and this one too when
    a later repeat of it must inherit them. The last upload needs none: its undo is a delete."""
    (ready_from, after, repeated), *_ = cur.execute(
        """select (select max(value::integer) from meta where key = 'undo_ready_from'),
                  (select min(upload_id) from uploads where upload_id > $1),
                  exists (select 1 from uploads where repeat_of = $1)""",
        [upload_id],
    ).fetchall()
    if after is None:
        return True
    return ready_from is not None and ready_from <= (upload_id if repeated else after)


def mark_ready_from(cur, upload_id: int) -> None:
    """Every upload from ``upload_id`` on has its seen rows (after a replay of them, or a rebuild: 0)."""
    cur.execute(
        """insert or replace into meta
           select 'undo_ready_from', least(?, coalesce(max(value::integer), ?))::varchar
           from meta where key = 'undo_ready_from'""",
        [upload_id, upload_id],
    )


def _cols(kind) -> list[str]:
    return [f'"{n}"' for n, _ in data_columns(kind)]


def _key_match(kind, a: str, b: str) -> str:
    return " and ".join(f'{a}."{k}" = {b}."{k}"' for k in kind.natural_key)


def undo_in_place(cur, upload_id: int) -> None:
    """Remove upload ``upload_id`` and re-derive the uploads after it, inside the caller's transaction."""
    rows = cur.execute(
        "select upload_id, repeat_of, data_date from uploads where upload_id >= ? order by upload_id",
        [upload_id],
    ).fetchall()
    later = rows[1:]
    if rows[0][1] is not None or not later:  # a repeat stored nothing; the last upload holds nothing back
        for table in _UPLOAD_TABLES:
            cur.execute(f"delete from {table} where upload_id = ?", [upload_id])
        cur.execute("delete from uploads where upload_id = ?", [upload_id])
        return
    heir = next((u for u, rep, _ in later if rep == upload_id), None)
    cur.execute(
        "create or replace temp table kam_moved (kind varchar, upload_id integer, sheet varchar, row_no bigint,"
        " stored boolean)"
    )
    try:
        keep_pools = {
            k.name: _keep_pool(cur, k, upload_id, heir) for k in SHEET_KINDS if k.on_same_key == "keep"
        }
        rejected_pool = _rejected_pool(cur, upload_id, heir)
        replace_keys = {
            k.name: _replace_keys(cur, k, upload_id) for k in SHEET_KINDS if k.on_same_key == "replace"
        }
        for table in _UPLOAD_TABLES:
            if heir is None:
                cur.execute(f"delete from {table} where upload_id = ?", [upload_id])
            else:
                cur.execute(f"update {table} set upload_id = ? where upload_id = ?", [heir, upload_id])
        cur.execute("delete from uploads where upload_id = ?", [upload_id])
        changed = _data_dates(cur, upload_id, heir)
        for kind in SHEET_KINDS:
            if kind.on_same_key == "keep":
                if keep_pools[kind.name]:
                    _settle_keep(cur, kind, heir)
            else:
                _replay_replace(cur, kind, upload_id, replace_keys[kind.name], changed)
        if rejected_pool:
            _settle_rejected(cur, heir)
        _follow_warnings(cur)
        _recount(cur, upload_id)
    finally:
        for t in ["kam_moved", "kam_rpool", *(f"kam_pool_{k.name}" for k in SHEET_KINDS)]:
            cur.execute(f"drop table if exists {t}")


def _keep_pool(cur, kind, upload_id: int, heir: int | None) -> int:
    """The rows whose stored/seen status may change: seen rows of later uploads with a key U stored, and (when a
    later repeat inherits U's rows) U's stored rows under the heir's id. Returns their number."""
    cols = ", ".join(_cols(kind))
    name = kind.name
    heirs = ""
    if heir is not None:
        heirs = f"""union all
          select {heir} as upload_id, t.sheet, o.sheet_no, t.row_no, {", ".join(f"t.{c}" for c in _cols(kind))},
                 true as was_stored
          from {name} t join seen_sheets o on o.upload_id = t.upload_id and o.sheet = t.sheet
          where t.upload_id = {upload_id}"""
    n = cur.execute(
        f"""
        create or replace temp table kam_pool_{name} as
        select *, row_number() over (partition by {", ".join(f'"{k}"' for k in kind.natural_key)}
                                     order by upload_id, sheet_no, row_no) = 1 as first
        from (
          select upload_id, sheet, sheet_no, row_no, {cols}, false as was_stored from seen_{name} s
          where s.upload_id > {upload_id}
            and exists (select 1 from {name} t where t.upload_id = {upload_id} and {_key_match(kind, "t", "s")})
          {heirs})
        """
    ).fetchall()[0][0]
    if not n:
        cur.execute(f"drop table kam_pool_{name}")
    return n


def _settle_keep(cur, kind, heir: int | None) -> None:
    """Store the first occurrence per key of the pool, keep the rest seen (moving only what changes)."""
    name, cols = kind.name, ", ".join(_cols(kind))
    pool = f"kam_pool_{name}"
    same_row = "t.upload_id = p.upload_id and t.sheet = p.sheet and t.row_no = p.row_no"
    cur.execute(
        f"""insert into {name} (upload_id, sheet, row_no, {cols})
            select upload_id, sheet, row_no, {cols} from {pool} where first and not was_stored
            order by upload_id, sheet_no, row_no"""
    )
    cur.execute(f"delete from seen_{name} t using {pool} p where {same_row} and p.first and not p.was_stored")
    if heir is not None:
        cur.execute(
            f"""insert into seen_{name} (upload_id, sheet, sheet_no, row_no, {cols})
                select upload_id, sheet, sheet_no, row_no, {cols} from {pool} where not first and was_stored
                order by upload_id, sheet_no, row_no"""
        )
        cur.execute(f"delete from {name} t using {pool} p where {same_row} and not p.first and p.was_stored")
    cur.execute(
        f"""insert into kam_moved select '{name}', upload_id, sheet, row_no, first from {pool}
            where first != was_stored"""
    )
    cur.execute(f"drop table {pool}")


def _rejected_pool(cur, upload_id: int, heir: int | None) -> int:
    """Like _keep_pool for rejected rows, whose key is (kind, raw)."""
    heirs = ""
    if heir is not None:
        heirs = f"""union all
          select {heir} as upload_id, r.sheet, o.sheet_no, r.kind, r.row_no, r.problems, r.raw, true as was_stored
          from rejected r join seen_sheets o on o.upload_id = r.upload_id and o.sheet = r.sheet
          where r.upload_id = {upload_id}"""
    n = cur.execute(
        f"""
        create or replace temp table kam_rpool as
        select *, row_number() over (partition by kind, raw order by upload_id, sheet_no, row_no) = 1 as first
        from (
          select s.upload_id, s.sheet, o.sheet_no, s.kind, s.row_no, s.problems, s.raw, false as was_stored
          from seen_rejected s join seen_sheets o on o.upload_id = s.upload_id and o.sheet = s.sheet
          where s.upload_id > {upload_id}
            and exists (select 1 from rejected r where r.upload_id = {upload_id} and r.kind = s.kind
                        and r.raw = s.raw)
          {heirs})
        """
    ).fetchall()[0][0]
    return n


def _settle_rejected(cur, heir: int | None) -> None:
    cols = "upload_id, sheet, kind, row_no, problems, raw"
    same_row = "t.upload_id = p.upload_id and t.sheet = p.sheet and t.row_no = p.row_no"
    cur.execute(
        f"""insert into rejected select {cols} from kam_rpool where first and not was_stored
            order by upload_id, sheet_no, row_no"""
    )
    cur.execute(
        f"delete from seen_rejected t using kam_rpool p where {same_row} and p.first and not p.was_stored"
    )
    if heir is not None:
        cur.execute(f"insert into seen_rejected select {cols} from kam_rpool where not first and was_stored")
        cur.execute(
            f"delete from rejected t using kam_rpool p where {same_row} and not p.first and p.was_stored"
        )


def _replace_keys(cur, kind, upload_id: int) -> list[tuple]:
    """The keys of every row (stored or seen) of U: their later rows are replayed."""
    key = ", ".join(f'"{k}"' for k in kind.natural_key)
    return cur.execute(
        f"""select distinct {key} from (select {key} from {kind.name} where upload_id = ?
                                        union all select {key} from seen_{kind.name} where upload_id = ?)""",
        [upload_id, upload_id],
    ).fetchall()


def _data_dates(cur, upload_id: int, heir: int | None) -> set[int]:
    """§2 data dates and repeats of the uploads after U (own latest date, else the highest before); returns the
    non-repeat uploads whose data date changed."""
    uploads = cur.execute("select upload_id, repeat_of, data_date from uploads order by upload_id").fetchall()
    own = dict(
        cur.execute(
            "select upload_id, max(latest_date) from seen_sheets where upload_id > ? group by upload_id",
            [upload_id],
        ).fetchall()
    )
    dates: dict[int, object] = {}
    running = None
    changes, changed = [], set()
    for uid, rep, old in uploads:
        if uid > upload_id:
            new_rep = (None if uid == heir else heir) if rep == upload_id else rep
            new = dates[new_rep] if new_rep is not None else own.get(uid) or running
            if (new_rep, new) != (rep, old):
                changes.append((new_rep, new, uid))
                if new_rep is None and new != old:
                    changed.add(uid)
        else:
            new = old
        dates[uid] = new
        if new is not None and (running is None or new > running):
            running = new
    if changes:
        cur.executemany("update uploads set repeat_of = ?, data_date = ? where upload_id = ?", changes)
    return changed


def _replay_replace(cur, kind, upload_id: int, keys: list[tuple], changed: set[int]) -> None:
    """Replay roster or deal rows of the later uploads for the affected keys with store_sheet's rules."""
    name = kind.name
    key = [f'"{k}"' for k in kind.natural_key]
    if changed:
        ids = ", ".join(str(u) for u in sorted(changed))
        keys = list(
            {
                *keys,
                *cur.execute(
                    f"""select distinct {", ".join(key)} from (
                          select {", ".join(key)} from {name} where upload_id in ({ids})
                          union all select {", ".join(key)} from seen_{name} where upload_id in ({ids}))"""
                ).fetchall(),
            }
        )
    if not keys:
        return
    cols = _cols(kind)
    cur.register(
        "kam_keys_frame", pa.table({k: [r[i] for r in keys] for i, k in enumerate(kind.natural_key)})
    )
    try:
        in_keys = f"exists (select 1 from kam_keys_frame k where {_key_match(kind, 'k', 't')})"
        select = f"t.upload_id, t.sheet, t.sheet_no, t.row_no, {', '.join(f't.{c}' for c in cols)}"
        before = cur.execute(
            f"""select {select}, u.data_date from {name} t join uploads u using (upload_id)
                where t.upload_id < ? and {in_keys}""",
            [upload_id],
        ).fetchall()
        pool = cur.sql(
            f"""select * from (select {select}, true as was_stored from {name} t where t.upload_id > ? and {in_keys}
                               union all
                               select {select}, false from seen_{name} t where t.upload_id > ? and {in_keys})
                order by upload_id, sheet_no, row_no""",
            params=[upload_id, upload_id],
        ).to_arrow_table()
        if pool.num_rows == 0:
            return
        dates = dict(cur.execute("select upload_id, data_date from uploads").fetchall())
        stored = _replace_rules(kind, before, pool, dates)
        cur.register("kam_rpl", pool.append_column("kam_stored", pa.array(stored, pa.bool_())))
        cur.execute(f"delete from {name} t where t.upload_id > ? and {in_keys}", [upload_id])
        cur.execute(f"delete from seen_{name} t where t.upload_id > ? and {in_keys}", [upload_id])
        names = ", ".join(cols)
        cur.execute(
            f"""insert into {name} (upload_id, sheet, sheet_no, row_no, {names})
                select upload_id, sheet, sheet_no, row_no, {names} from kam_rpl where kam_stored
                order by upload_id, sheet_no, row_no"""
        )
        cur.execute(
            f"""insert into seen_{name} (upload_id, sheet, sheet_no, row_no, {names})
                select upload_id, sheet, sheet_no, row_no, {names} from kam_rpl where not kam_stored
                order by upload_id, sheet_no, row_no"""
        )
        cur.execute(
            f"""insert into kam_moved select '{name}', upload_id, sheet, row_no, kam_stored from kam_rpl
                where kam_stored != was_stored"""
        )
        cur.unregister("kam_rpl")
    finally:
        cur.unregister("kam_keys_frame")


def _replace_rules(kind, before: list[tuple], pool: pa.Table, dates: dict) -> list[bool]:
    """store_sheet's replace rules (rows.py _classify_replace) over the pool, upload by upload, sheet by sheet.

    A row changes nothing when its key's group in the sheet ends with the current stored row (the winner among
    earlier uploads' stored rows by data date desc nulls last, upload, sheet, row), or it equals the row before it
    in the group, or (first of the group) it equals the current row."""
    ncols = len(data_columns(kind))
    key_at = [4 + [n for n, _ in data_columns(kind)].index(k) for k in kind.natural_key]

    def order(upload, sheet_no, row_no):
        d = dates.get(upload)
        return (d is not None, d, upload, -1 if sheet_no is None else sheet_no, row_no)

    winners: dict[tuple, tuple] = {}  # key -> (order, content)

    def offer(k, o, content):
        if k not in winners or o > winners[k][0]:
            winners[k] = (o, content)

    for r in before:
        offer(tuple(r[i] for i in key_at), order(r[0], r[2], r[3]), tuple(r[4 : 4 + ncols]))
    rows = pool.to_pylist()
    names = pool.column_names
    stored = [False] * len(rows)
    i = 0
    while i < len(rows):
        upload = rows[i]["upload_id"]
        j = i
        while j < len(rows) and rows[j]["upload_id"] == upload:
            j += 1
        groups: dict[tuple, list[int]] = {}
        for n in range(i, j):
            groups.setdefault((rows[n]["sheet_no"], *(rows[n][names[c]] for c in key_at)), []).append(n)
        won = []
        for g, members in groups.items():
            k = g[1:]
            members.sort(key=lambda n: rows[n]["row_no"])
            contents = [tuple(rows[n][names[c]] for c in range(4, 4 + ncols)) for n in members]
            current = winners.get(k)
            if current is not None and contents[-1] == current[1]:
                continue  # the whole group changes nothing
            for m, n in enumerate(members):
                same_as = contents[m - 1] if m else (current[1] if current is not None else None)
                if same_as is None or contents[m] != same_as:
                    stored[n] = True
                    won.append((k, order(upload, rows[n]["sheet_no"], rows[n]["row_no"]), contents[m]))
        for k, o, content in won:
            offer(k, o, content)
        i = j
    return stored


def _follow_warnings(cur) -> None:
    """Warnings live with their row: in warnings when it is stored, in seen_warnings when it is not."""
    if not cur.execute("select count(*) from kam_moved").fetchall()[0][0]:
        return
    same_row = "w.kind = m.kind and w.upload_id = m.upload_id and w.sheet = m.sheet and w.row_no = m.row_no"
    for to, frm, stored in (("seen_warnings", "warnings", False), ("warnings", "seen_warnings", True)):
        cur.execute(
            f"insert into {to} select w.* from {frm} w join kam_moved m on {same_row} where m.stored = {stored}"
        )
        cur.execute(f"delete from {frm} w using kam_moved m where {same_row} and m.stored = {stored}")


def _recount(cur, upload_id: int) -> None:
    """The later sheets' duplicates (accepted − stored) and superseded (stored rows whose key's best earlier stored
    row has a later data date: the winner of the §2 order is the one of the highest data date)."""
    stored = " union all ".join(
        f"select '{k.name}' as kind, upload_id, sheet, count(*) as n from {k.name} where upload_id > {upload_id}"
        " group by all"
        for k in SHEET_KINDS
    )
    superseded = " union all ".join(
        f"""select '{k.name}' as kind, upload_id, sheet,
                   count_if(prior is not null and (data_date is null or prior > data_date)) as n
            from (select t.upload_id, t.sheet, u.data_date,
                         max(u.data_date) over (partition by {", ".join(f't."{c}"' for c in k.natural_key)}
                                                order by t.upload_id
                                                range between unbounded preceding and 1 preceding) as prior
                  from {k.name} t join uploads u using (upload_id))
            where upload_id > {upload_id} group by all"""
        for k in SHEET_KINDS
        if k.on_same_key == "replace"
    )
    cur.execute(
        f"""
        update upload_sheets set duplicates = upload_sheets.accepted - coalesce(c.n, 0),
                                 superseded = coalesce(c.superseded, 0)
        from (select us.upload_id, us.sheet, us.kind, s.n, p.n as superseded
              from upload_sheets us left join ({stored}) s using (kind, upload_id, sheet)
                                    left join ({superseded}) p using (kind, upload_id, sheet)
              where us.upload_id > {upload_id}) c
        where upload_sheets.upload_id = c.upload_id and upload_sheets.sheet = c.sheet
          and upload_sheets.kind = c.kind
        """
    )
