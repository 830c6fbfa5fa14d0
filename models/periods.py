"""Period keys stored on every dated record, so that reports group on them
with the portable aggregation subset: year "2026", quarter "2026-Q1",
month "2026-03", ISO week "2026-W09" (ISO year, so 2027-01-01 is "2026-W53")."""

import datetime as dt
import functools

PERIODS = ("week", "month", "quarter", "year")
PERIOD_LABELS = {"week": "周", "month": "月", "quarter": "季度", "year": "年"}


def period_keys(day: dt.date | dt.datetime) -> dict[str, str]:
    if isinstance(day, dt.datetime):
        day = day.date()
    iso_year, iso_week, _ = day.isocalendar()
    return {
        "year": f"{day.year}",
        "quarter": f"{day.year}-Q{(day.month - 1) // 3 + 1}",
        "month": f"{day.year}-{day.month:02d}",
        "week": f"{iso_year}-W{iso_week:02d}",
    }


def period_key(period: str, day: dt.date | dt.datetime) -> str:
    return period_keys(day)[period]


@functools.lru_cache(maxsize=4096)
def period_bounds(period: str, key: str) -> tuple[dt.date, dt.date]:
    """First and last day of a period (cached: a schedule asks it once per archive)."""
    if period == "week":
        year, week = key.split("-W")
        start = dt.date.fromisocalendar(int(year), int(week), 1)
        return start, start + dt.timedelta(days=6)
    if period == "month":
        year, month = (int(x) for x in key.split("-"))
        start = dt.date(year, month, 1)
        end = (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)
        return start, end
    if period == "quarter":
        year, quarter = key.split("-Q")
        first_month = (int(quarter) - 1) * 3 + 1
        start = dt.date(int(year), first_month, 1)
        end_month = first_month + 2
        end = dt.date(int(year) + end_month // 12, end_month % 12 + 1, 1) - dt.timedelta(days=1)
        return start, end
    year = int(key)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def periods_between(period: str, start: dt.date, end: dt.date) -> list[str]:
    """Every period key from the one holding ``start`` to the one holding ``end``."""
    keys = []
    day = start
    while day <= end:
        key = period_key(period, day)
        if not keys or keys[-1] != key:
            keys.append(key)
        day = period_bounds(period, key)[1] + dt.timedelta(days=1)
    last = period_key(period, end)
    if keys and keys[-1] != last:
        keys.append(last)
    return keys


def previous_period(period: str, key: str) -> str:
    start, _ = period_bounds(period, key)
    return period_key(period, start - dt.timedelta(days=1))


QUARTER_NAMES = ("一", "二", "三", "四")


def period_label(period: str, key: str, with_year: bool = False) -> str:
    """How a period key reads wherever it is shown: 2026-W48 → 第48周（11月23日—29日）,
    2026-11 → 11月, 2026-Q3 → 第三季度, 2026 → 2026年 (``with_year``: 2026年11月, for
    documents and messages that leave the page)."""
    try:
        return _label(period, key, with_year)
    except (ValueError, IndexError, KeyError):  # not a period key (a value typed into the field): shown as it is
        return key


def _label(period: str, key: str, with_year: bool) -> str:
    year = key.split("-")[0]
    prefix = f"{year}年" if with_year and period != "year" else ""
    if period == "week":
        start, end = period_bounds(period, key)
        last = f"{end.day}日" if end.month == start.month else f"{end.month}月{end.day}日"
        return f"{prefix}第{int(key.split('-W')[1])}周（{start.month}月{start.day}日—{last}）"
    if period == "month":
        return f"{prefix}{int(key.split('-')[1])}月"
    if period == "quarter":
        return f"{prefix}第{QUARTER_NAMES[int(key.split('-Q')[1]) - 1]}季度"
    return f"{key}年"


def month_end(month: str) -> dt.date:
    """The last day of a month key ("2026-03")."""
    return period_bounds("month", month)[1]
