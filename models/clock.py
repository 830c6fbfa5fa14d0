"""Time as the station lives it: China Standard Time, stored as naive datetimes
(China has no daylight saving, and every period key is a local calendar one).

Every "now" and "today" of the app comes from here. The clock can be set
(``freeze``): tests choose their today instead of depending on the real date."""

import datetime as dt
from time import monotonic
from zoneinfo import ZoneInfo

STATION_TZ = ZoneInfo("Asia/Shanghai")

#: The set clock: (the moment it was set to, the monotonic time it was set at or None when it stands still).
_set: tuple[dt.datetime, float | None] | None = None


def _real_now() -> dt.datetime:
    return dt.datetime.now(STATION_TZ).replace(tzinfo=None)


def local_now() -> dt.datetime:
    if _set is None:
        return _real_now().replace(microsecond=0)
    moment, since = _set
    if since is not None:
        moment += dt.timedelta(seconds=monotonic() - since)
    return moment.replace(microsecond=0)


def local_today() -> dt.date:
    return local_now().date()


class freeze:  # a function to call, and a context manager
    """Set the clock to ``moment`` (a date means 10:00 that day). With ``ticking``
    it runs on from there; without, it stands still. Takes effect at once;
    used as ``with freeze(...):`` the previous clock comes back at the end."""

    def __init__(self, moment: dt.datetime | dt.date, ticking: bool = False):
        global _set
        if not isinstance(moment, dt.datetime):
            moment = dt.datetime.combine(moment, dt.time(10))
        self.previous = _set
        _set = (moment.replace(tzinfo=None), monotonic() if ticking else None)

    def __enter__(self) -> dt.datetime:
        return local_now()

    def __exit__(self, *exc) -> None:
        self.restore()

    def restore(self) -> None:
        global _set
        _set = self.previous


def unfreeze() -> None:
    """Back to the real clock."""
    global _set
    _set = None
