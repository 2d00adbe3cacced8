"""The fast path's hand-over of adjudicated phones: re-decided rows land where a full re-sort would put them."""

import pyarrow as pa
import pyarrow.compute as pc

from kam_metrics.engine.adjudication import _in_place
from kam_metrics.engine.reference import ROW_ORDER


def _rows(rows):
    return pa.table(
        {
            "phone": pa.array([r[0] for r in rows], pa.string()),
            "status": pa.array([r[1] for r in rows], pa.string()),
            "k": pa.array([r[2] for r in rows], pa.int64()),
            "upload_id": pa.array([r[3] for r in rows], pa.int64()),
            "row_no": pa.array([r[4] for r in rows], pa.int64()),
            "sheet": pa.array(["报备"] * len(rows), pa.string()),
        }
    )


FAST = _rows(
    [
        ("13800000001", "valid", 1, 1, 2),
        ("13800000002", "valid", 2, 1, 3),
        ("13800000001", "duplicate_own", 3, 2, 2),
        ("13800000003", "valid", 4, 2, 3),
    ]
)


def _sorted_merge(ours, theirs, phone):
    keep = ours.filter(pc.invert(pc.equal(ours["phone"], phone)))
    merged = pa.concat_tables([keep, theirs])
    return merged.take(pc.sort_indices(merged, sort_keys=ROW_ORDER))


def test_redecided_rows_of_a_phone_take_their_own_rows_positions():
    decided = _rows([("13800000001", "owned_by_other", 1, 1, 2), ("13800000001", "valid", 3, 2, 2)])
    got = _in_place(FAST, decided, pc.equal(FAST["phone"], "13800000001"), ROW_ORDER)
    assert got.to_pylist() == _sorted_merge(FAST, decided, "13800000001").to_pylist()
    assert got["status"].to_pylist() == ["owned_by_other", "valid", "valid", "valid"]


def test_redecided_rows_with_other_order_keys_are_merged_and_sorted():
    decided = _rows([("13800000001", "valid", 5, 3, 2)])  # not the rows the mask picks
    got = _in_place(FAST, decided, pc.equal(FAST["phone"], "13800000001"), ROW_ORDER)
    assert got.to_pylist() == _sorted_merge(FAST, decided, "13800000001").to_pylist()
    assert got["k"].to_pylist() == [2, 4, 5]
