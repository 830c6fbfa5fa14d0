"""Dates as people type them: 2026-03-05, 2026/3/5, 2026.3.5, 2026年3月5日, 20260305,
in full-width characters too (２０２６－０３－０５), with or without spaces."""

import datetime as dt
import re

from .text import one_line

_PATTERNS = (
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})",
    r"(\d{4})年(\d{1,2})月(\d{1,2})日?",
    r"(\d{4})(\d{2})(\d{2})",
)
_TIME = re.compile(r"(.*?)\s*(\d{1,2}):(\d{2})(?::(\d{2}))?")


def _plain(text: str | None) -> str:
    return one_line(text or "")  # one space may part a date from its time


def _day(text: str) -> dt.date | None:
    text = re.sub(r"\s", "", text)
    for pattern in _PATTERNS:
        match = re.fullmatch(pattern, text)
        if match:
            try:
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                return None
    return None


def parse_date(text: str | None) -> dt.date | None:
    """The day typed, or None; a time after it is ignored."""
    text = _plain(text)
    day = _day(text)
    if day is None and " " in text:
        day = _day(text.split(" ", 1)[0])
    return day


def parse_datetime(text: str | None) -> dt.datetime | None:
    """A date with an optional time (2026-03-05 14:30), or None when it is not one."""
    text = _plain(text)
    day = _day(text)
    if day is not None:
        return dt.datetime.combine(day, dt.time())
    match = _TIME.fullmatch(text)
    day = _day(match[1]) if match else None
    if day is None:
        return None
    try:
        return dt.datetime.combine(day, dt.time(int(match[2]), int(match[3]), int(match[4] or 0)))
    except ValueError:
        return None
