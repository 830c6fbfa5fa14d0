"""The schedule's and the calendar's reading of a request, as rules: which period a
schedule shows, which townships it covers, from when compliance is counted, and a month
of visits day by day (counted home visits and the others), laid out in weeks."""

import datetime as dt

from bson import ObjectId

from .periods import period_bounds
from .visits import Visit, current_key


def schedule_period(item: dict, key: str | None) -> tuple[str, dt.date, dt.date]:
    """The period of ``item``'s kind named ``key`` (the current one when none is), with its
    first and last day. ValueError or KeyError for a key that names no period."""
    key = key or current_key(item["period"])
    start, end = period_bounds(item["period"], key)
    return key, start, end


def schedule_townships(scope: list | None, chosen: str) -> tuple[list | None, str | None]:
    """The townships a schedule covers: ``chosen`` (an id) when it is within ``scope`` (the
    user's townships, None for all), else the whole scope; and the one chosen, if any."""
    if ObjectId.is_valid(chosen or "") and (scope is None or ObjectId(chosen) in scope):
        return [ObjectId(chosen)], chosen
    return scope, None


def compliance_start(text: str | None, today: dt.date) -> dt.date:
    """From when compliance is counted: the day given (ISO), else the first of the year.
    ValueError for a day that cannot be read."""
    return dt.date.fromisoformat(text) if text else dt.date(today.year, 1, 1)


def month_calendar(month: str, townships: list | None) -> dict:
    """A month (``2026-03``) of the visits in ``townships`` (None: all): per day the counted
    home visits ("yes") and the others ("no"), the weeks (Monday first) that cover it, and
    the months before and after. ValueError for a month that cannot be read."""
    first, last = period_bounds("month", month)
    match = {"month": month, "voided": False}
    if townships is not None:
        match["township"] = {"$in": townships}
    per_day = {}
    for counted in ("yes", "no"):
        for row in Visit._get_collection().aggregate([
                {"$match": dict(match, counts_as_home_visit=counted)},
                {"$group": {"_id": "$day", "n": {"$sum": 1}}}]):
            per_day.setdefault(row["_id"], {"yes": 0, "no": 0})[counted] = row["n"]
    weeks, day = [], first - dt.timedelta(days=first.weekday())
    while day <= last:
        weeks.append([(day + dt.timedelta(days=i)) for i in range(7)])
        day += dt.timedelta(days=7)
    return {"first": first, "last": last, "weeks": weeks, "per_day": per_day,
            "previous_month": (first - dt.timedelta(days=1)).strftime("%Y-%m"),
            "next_month": (last + dt.timedelta(days=1)).strftime("%Y-%m")}
