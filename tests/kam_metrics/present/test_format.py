"""kam_metrics.present.format: how values look on a page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from kam_metrics.present import format


@pytest.mark.parametrize(
    ("phone", "shown"),
    [("13812345678", "138****5678"), ("1381234", "1381234"), (None, ""), ("", "")],
)
def test_mask_phone_hides_the_middle_four_digits_of_a_mobile_number(phone, shown):
    assert format.mask_phone(phone) == shown


def test_mask_text_masks_every_mobile_number_inside_free_text():
    assert format.mask_text("手机号=13812345678; 备用 15900001111") == "手机号=138****5678; 备用 159****1111"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1234"), "¥1,234.00"),
        (Decimal("-2250.5"), "-¥2,250.50"),
        (Decimal("0"), "¥0.00"),
        (None, ""),
    ],
)
def test_money_is_yuan_with_thousands_and_two_decimals(value, shown):
    assert format.money(value) == shown


def test_dates_are_iso_and_date_only_stamps_show_no_time():
    assert format.day(dt.date(2026, 9, 8)) == "2026-09-08"
    assert format.stamp(pd.Timestamp("2026-09-08 10:15")) == "2026-09-08 10:15"
    assert format.stamp(pd.Timestamp("2026-09-08 10:15:07")) == "2026-09-08 10:15:07"
    assert format.stamp(pd.Timestamp("2026-09-08"), date_only=True) == "2026-09-08"
    assert format.stamp(pd.Timestamp("2026-09-08 10:15"), seconds=True) == "2026-09-08 10:15:00"
