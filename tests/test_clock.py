"""The app's one clock (models.clock): no other "now" in the app's code, and a
chosen today is the today the pages show."""

import ast
import datetime as dt
import re
from pathlib import Path

import pytest

from models import clock
from models.periods import period_key, period_label
from models.rules import seed_rules

ROOT = Path(__file__).resolve().parent.parent
APP_CODE = sorted(p for folder in ("models", "views", "admin_app", "seeds") for p in (ROOT / folder).rglob("*.py")
                  if p != ROOT / "models" / "clock.py") + [ROOT / "wsgi.py"]

#: What reads the computer's clock for a date or a time of day (the monotonic timers that
#: measure how long something takes are not a date and are left alone).
CLOCK_READS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
               ("time", "time"), ("time", "localtime"), ("time", "gmtime"), ("time", "ctime"),
               ("time", "time_ns")}


def clock_reads(source: str) -> list[str]:
    """Each use (called or passed, e.g. ``default=datetime.now``) of a clock read in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            owner = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", None)
            if (owner, node.attr) in CLOCK_READS or (owner == "dt" and (("datetime", node.attr) in CLOCK_READS)):
                found.append(f"{ast.unparse(node)} (line {node.lineno})")
        elif isinstance(node, ast.ImportFrom) and node.module in ("time", "datetime"):
            for alias in node.names:
                if (node.module, alias.name) in CLOCK_READS:
                    found.append(f"from {node.module} import {alias.name} (line {node.lineno})")
    return found


@pytest.mark.parametrize("source", ["datetime.datetime.now()", "dt.datetime.now(STATION_TZ)", "dt.date.today()",
                                    "datetime.utcnow()", "date.today()", "time.time()", "x = time.localtime()",
                                    "StringField(default=dt.datetime.now)", "from time import time",
                                    "dt.datetime.today()"])
def test_the_scan_sees_every_way_of_reading_the_clock(source):
    assert clock_reads(source), source


@pytest.mark.parametrize("source", ["local_now()", "time.monotonic()", "time.perf_counter()", "dt.date(2026, 1, 1)",
                                    "dt.datetime.combine(day, dt.time())", "dt.datetime.strptime(s, '%Y')"])
def test_the_scan_leaves_other_uses_of_time_alone(source):
    assert not clock_reads(source), source


@pytest.mark.parametrize("path", APP_CODE, ids=[str(p.relative_to(ROOT)) for p in APP_CODE])
def test_the_app_reads_the_time_only_through_its_clock(path):
    assert not clock_reads(path.read_text(encoding="utf-8")), f"{path.relative_to(ROOT)}：请用 models.clock"


def test_freeze_sets_the_clock_and_gives_the_previous_back():
    before = clock.local_now()
    with clock.freeze(dt.datetime(2026, 3, 4, 23, 59, 59)) as moment:
        assert moment == dt.datetime(2026, 3, 4, 23, 59, 59) == clock.local_now()
        assert clock.local_today() == dt.date(2026, 3, 4)
        with clock.freeze(dt.date(2026, 7, 1)):
            assert clock.local_now() == dt.datetime(2026, 7, 1, 10)
        assert clock.local_today() == dt.date(2026, 3, 4)
    assert before <= clock.local_now() <= before + dt.timedelta(minutes=5)


def test_a_ticking_clock_moves_on_from_the_day_set(monkeypatch):
    seconds = iter([100.0, 160.0, 160.0])
    monkeypatch.setattr(clock, "monotonic", lambda: next(seconds))
    with clock.freeze(dt.datetime(2026, 5, 1, 8), ticking=True) as start:
        assert start == dt.datetime(2026, 5, 1, 8, 1)
        assert clock.local_now() == dt.datetime(2026, 5, 1, 8, 1)


def test_the_test_run_is_on_its_own_today(today):
    from tests.conftest import TEST_TODAY

    assert today.date == TEST_TODAY
    assert today.set(dt.date(2026, 2, 28)) == dt.date(2026, 2, 28) == clock.local_today()


#: Two days in different weeks, months, quarters and years.
DAYS = [dt.date(2026, 12, 1), dt.date(2025, 5, 20)]
POLICIES = seed_rules("visit_policy")["policies"]
HEADING = re.compile(r'<h5 class="mb-0 mr-3">(.*?) · 尚需探访')


@pytest.mark.parametrize("policy", POLICIES, ids=[p["code"] for p in POLICIES])
def test_the_visit_plan_shows_the_period_of_the_day_the_clock_is_set_to(policy, login_as, today):
    client = login_as("coordinator")
    shown = []
    for day in DAYS:
        today.set(day)
        page = client.get(f"/schedule/?policy={policy['code']}").get_data(as_text=True)
        shown.append(HEADING.search(page).group(1))
        assert shown[-1] == period_label(policy["period"], period_key(policy["period"], day))
    assert len(set(shown)) == len(DAYS)
