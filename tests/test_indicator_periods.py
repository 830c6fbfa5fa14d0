"""Periodic requirements judged as the contract reads them: a requirement whose past
periods are already missed can no longer be met in full and is 风险 (never 正常), and
the indicator page says which periods and townships are missing; grid cells with
nothing due (0/0) are 不适用, not green."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import models.clock
from models.contracts import current_contract
from models.indicators import Indicator, Scope, measure
from models.periods import period_label
from models.publicity import PublicityActivity
from models.reference import ThemeTag, Township
from models.services import create_record

TODAY = dt.date(2026, 12, 5)  # January to November have ended
MONTHS = [f"2026-{m:02d}" for m in range(1, 12)]


@pytest.fixture
def frozen_today(monkeypatch):
    monkeypatch.setattr(models.clock, "local_now", lambda: dt.datetime.combine(TODAY, dt.time(10)))
    return TODAY


def contract():
    return current_contract(dt.date(2026, 3, 1))


def social_assistance():
    return Indicator.objects(contract=contract().pk, code="publicity.social_assistance").get()


def publicity(day: dt.date, townships: list):
    topic = ThemeTag.objects(code="social_assistance").get()
    create_record(PublicityActivity(title="社会救助政策宣传", held_on=dt.datetime.combine(day, dt.time()), format="stall",
                                    topics=[topic], townships=townships, audience="residents", people_reached=30), None)


def test_twelve_events_in_one_month_are_at_risk_and_the_page_says_what_is_missing(app, frozen_today, login_as):
    """The reported case: 12 events all in January, one township: 10 of 11 ended months missed."""
    every = list(Township.objects(voided=False).order_by("code"))
    for day in range(1, 13):
        publicity(dt.date(2026, 1, day), [every[0]])
    m = measure(social_assistance(), Scope(contract(), TODAY), 0.8)
    assert m.achieved == 12 and m.status == "at_risk"
    page = login_as("coordinator").get("/indicators/show/publicity.social_assistance/").get_data(as_text=True)
    assert 'id="indicator-status">风险' in page
    missing_months = MONTHS[1:]
    assert "已有 10 个月未达到" in page and all(month in page for month in missing_months)
    assert f"{len(every) - 1} 个街道/乡镇尚未覆盖" in page and all(t.name in page for t in every[1:])
    overview = login_as("manager").get("/indicators/").get_data(as_text=True)
    row = overview.split('id="indicator-publicity-social_assistance"')[1].split("</tr>")[0]
    assert "风险" in row and "无法全部达标" in row


@settings(max_examples=20, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(held=st.lists(st.integers(0, 3), min_size=len(MONTHS), max_size=len(MONTHS)))
def test_a_missed_month_is_always_at_risk(app, frozen_today, held):
    """For any pattern of events per ended month: a month with none means 风险 and is named;
    with every month held the indicator is never 风险 for the months."""
    PublicityActivity.objects.delete()
    every = list(Township.objects(voided=False))
    for month, count in zip(MONTHS, held, strict=True):
        for day in range(1, count + 1):
            publicity(dt.date(2026, int(month[5:]), day), every)
    m = measure(social_assistance(), Scope(contract(), TODAY), 0.8)
    missed = [month for month, count in zip(MONTHS, held, strict=True) if count == 0]
    if missed:
        assert m.status == "at_risk", (held, m.status)
        named = m.note.split("：", 1)[1].split("。")[0].split("、")  # the months as the page names them
        assert named == [period_label("month", month) for month in missed]
        assert f"已有 {len(missed)} 个月未达到" in m.lost[0]
    else:
        assert m.lost == [] and m.status != "at_risk", (held, m.status)


def test_grid_cells_with_nothing_due_are_not_applicable(app, frozen_today, login_as):
    """No child at risk level 一级: every week of 按风险等级探访儿童 is 0/0, shown as 不适用 in a
    neutral cell, never as met."""
    m = measure(Indicator.objects(contract=contract().pk, code="visits.risk_cadence").get(),
                Scope(contract(), TODAY), 0.8)
    empty = [item for item in m.items if item["due"] == 0]
    assert empty and all(item["not_applicable"] and not item["done"] for item in empty)
    page = login_as("coordinator").get("/indicators/show/visits.risk_cadence/").get_data(as_text=True)
    grid = page.split('id="indicator-items"')[1].split("</div>\n{% endif %}")[0]
    assert grid.count("week-na") == len(empty) and "不适用" in grid
    assert "week-met" not in grid
