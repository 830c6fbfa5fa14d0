"""Resident ID numbers (GB 11643-1999): check digit, birth date, sex, masking.

Written here rather than taken from python-stdnum, whose check rejects every
450305 number issued to people born before the county code existed (1983)."""

import datetime as dt
import re

from .clock import local_today
from .inputs import ID_NUMBER
from .inputs import normalise as plain

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Patterns for Python-side checks only (never sent to the database).
_PATTERN_18 = r"\d{17}[\dX]"
_PATTERN_15 = r"\d{15}"


class IdNumberError(ValueError):
    pass


def normalise(number: str | None) -> str:
    """As typed, made plain: full-width digits and X, spaces (models.inputs)."""
    return plain(ID_NUMBER, number or "")


def check_character(first17: str) -> str:
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def parse(number: str) -> tuple[dt.date, str]:
    """Return (birth date, sex '男'/'女') or raise IdNumberError with a Chinese message."""
    number = normalise(number)
    if re.fullmatch(_PATTERN_18, number):
        birth_text, sequence = number[6:14], number[14:17]
        if check_character(number[:17]) != number[17]:
            raise IdNumberError(f"身份证号校验位错误：应为 {check_character(number[:17])}，请核对。")
    elif re.fullmatch(_PATTERN_15, number):
        birth_text, sequence = "19" + number[6:12], number[12:15]
    else:
        raise IdNumberError("身份证号应为 18 位（最后一位可为 X）或旧版 15 位数字。")
    try:  # eight digits (the patterns): read as numbers, several times faster than strptime
        birth = dt.date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:8]))
    except ValueError as exc:
        raise IdNumberError("身份证号中的出生日期不存在，请核对。") from exc
    if birth > _today() or birth.year < 1890:
        raise IdNumberError("身份证号中的出生日期不合理，请核对。")
    return birth, ("男" if int(sequence) % 2 else "女")


def make(address_code: str, birth: dt.date, sequence: int) -> str:
    """Build a valid 18-digit number (demo data and tests)."""
    first17 = f"{address_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def mask(number: str | None) -> str:
    """4503**********1234: the province and city part and the last four."""
    number = normalise(number)
    if len(number) < 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def _today() -> dt.date:
    return local_today()
