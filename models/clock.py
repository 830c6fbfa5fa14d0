"""Time as the station lives it: China Standard Time, stored as naive datetimes
(China has no daylight saving, and every period key is a local calendar one)."""

import datetime as dt
from zoneinfo import ZoneInfo

STATION_TZ = ZoneInfo("Asia/Shanghai")


def local_now() -> dt.datetime:
    return dt.datetime.now(STATION_TZ).replace(tzinfo=None, microsecond=0)


def local_today() -> dt.date:
    return local_now().date()
