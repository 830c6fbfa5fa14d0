import datetime as dt

import pytest

from models import idnumber


def test_a_valid_number_gives_birth_date_and_sex():
    number = idnumber.make("450305", dt.date(1950, 3, 5), 123)
    assert idnumber.parse(number) == (dt.date(1950, 3, 5), "男")
    assert idnumber.parse(idnumber.make("450305", dt.date(2015, 6, 1), 124))[1] == "女"


def test_elderly_born_before_1983_are_accepted():
    """python-stdnum rejects these; the project's own check must not."""
    number = idnumber.make("450305", dt.date(1931, 12, 31), 7)
    assert idnumber.parse(number)[0].year == 1931


def test_x_check_character_and_lower_case():
    for sequence in range(1000):
        number = idnumber.make("450305", dt.date(1960, 1, 1), sequence)
        if number.endswith("X"):
            assert idnumber.parse(number.lower())[0] == dt.date(1960, 1, 1)
            break
    else:
        pytest.fail("no X check character found")


@pytest.mark.parametrize("bad, message", [
    ("450305195003051230", "校验位错误"),
    ("45030519500305123", "应为 18 位"),
    ("450305195002301236", "出生日期不存在"),
    ("abc", "应为 18 位"),
])
def test_bad_numbers_get_chinese_messages(bad, message):
    if message == "校验位错误":
        good = idnumber.make("450305", dt.date(1950, 3, 5), 123)
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    if message == "出生日期不存在":
        first17 = "45030519500230123"
        bad = first17 + idnumber.check_character(first17)
    with pytest.raises(idnumber.IdNumberError, match=message):
        idnumber.parse(bad)


def test_legacy_15_digit_numbers():
    assert idnumber.parse("450305500305123") == (dt.date(1950, 3, 5), "男")


def test_masking():
    assert idnumber.mask("450305195003051239") == "4503**********1239"
    assert idnumber.mask(None) == ""
