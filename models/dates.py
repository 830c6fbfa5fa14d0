"""Dates as people type them: 2026-03-05, 2026/3/5, 2026.3.5, 2026年3月5日, 20260305."""

import datetime as dt
import re

_PATTERNS = (
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})",
    r"(\d{4})年(\d{1,2})月(\d{1,2})日?",
    r"(\d{4})(\d{2})(\d{2})",
)


def parse_date(text: str | None) -> dt.date | None:
    text = (text or "").strip()
    if " " in text:
        text = text.split(" ", 1)[0]
    for pattern in _PATTERNS:
        match = re.fullmatch(pattern, text)
        if match:
            try:
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                return None
    return None
