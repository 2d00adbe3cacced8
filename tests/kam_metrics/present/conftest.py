"""The small real store the present-layer tests share: two KAMs, one customer story, one deal."""

from __future__ import annotations

import pandas as pd
import pytest

PHONE = "13812345678"
OVERLAP_PHONE = "13900000003"


@pytest.fixture
def story(upload, compute):
    """王伟 (一组) wins 138…5678, brings the customer and the deal follows; 李娜 (二组) is refused twice."""
    upload(
        "roster",
        [
            {"kam": "王伟", "team": "一组", "start_date": "2026-09-01"},
            {"kam": "李娜", "team": "二组", "start_date": "2026-09-01"},
        ],
    )
    upload(
        "registrations",
        [
            {
                "registered_at": "2026-09-07 09:00",
                "customer_name": "赵敏",
                "phone": OVERLAP_PHONE,
                "salesperson": "孙丽",
            }
        ],
    )
    upload(
        "leads",
        [
            {"reported_at": "2026-09-08 10:00", "kam": "王伟", "customer_name": "王先生", "phone": PHONE},
            {"reported_at": "2026-09-09 11:00", "kam": "李娜", "customer_name": "王建国", "phone": PHONE},
            {
                "reported_at": "2026-09-08 12:00",
                "kam": "李娜",
                "customer_name": "赵女士",
                "phone": OVERLAP_PHONE,
            },
        ],
    )
    upload(
        "visits",
        [
            {
                "visited_at": "2026-09-10 15:00",
                "kam": "王伟",
                "customer_name": "王建国",
                "phone": PHONE,
                "party_size": "3",
                "salesperson": "孙丽",
            }
        ],
    )
    upload(
        "units",
        [
            {"date": "2026-09-08", "kam": "王伟", "unit_name": "华为技术有限公司", "photo": "a.jpg"},
            {"date": "2026-09-09", "kam": "李娜", "unit_name": "华为 技术有限公司", "photo": "b.jpg"},
        ],
    )
    upload(
        "deals",
        [
            {
                "signed_at": "2026-09-20",
                "customer_name": "王建国",
                "phone": PHONE,
                "property": "3栋1502",
                "amount": "2680000",
                "salesperson": "孙丽",
                "salesperson_commission": "4000",
            }
        ],
    )
    return compute()


def column(frame: pd.DataFrame, header: str) -> list:
    """One shown column's values."""
    return frame[header].tolist()
