"""kam_metrics.present.common: the team filter, roster order, shown weeks and flagged KAMs."""

from __future__ import annotations

import datetime as dt

from kam_metrics.present import common


def test_for_team_keeps_only_that_teams_kams_but_the_whole_registry(story):
    team = common.for_team(story, "二组")
    assert common.kam_names(team) == ["李娜"]
    assert set(team.leads["kam"]) == {"李娜"}
    assert team.commissions.empty
    assert len(team.registrations) == len(story.registrations)
    assert common.teams(story) == ["一组", "二组"]


def test_weeks_are_the_assessed_weeks_oldest_first(story):
    assert story.as_of == dt.date(2026, 9, 20)
    assert common.weeks(story) == ["2026-W37", "2026-W38"]
    assert common.week_label(story, "2026-W38", "zh") == "2026-W38 (2026-09-14 – 2026-09-20)"
