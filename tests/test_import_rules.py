"""The import preview runs every rule that saving runs, row by row: a generated list of
people (ages, categories, ID numbers, dates as people type them) is previewed, and each
row passes the preview exactly when saving that person through the service layer
succeeds; confirming a file the preview passed imports every row, and one it refused
names the rows."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import idnumber
from models.archive_import import apply_import, preview_import, start_batch
from models.archives import ARCHIVE_KINDS, Archive
from models.audit import AuditEntry
from models.clock import local_today
from models.errors import DomainError
from models.reference import PersonCategory, Township
from models.services import create_record

from .test_import import workbook_bytes

CATEGORIES = {"child": ["农村留守儿童", "困境儿童", "孤儿"], "elderly": ["高龄老人", "特困老人", "留守老人"]}
AGES = {"child": (0, 22), "elderly": (52, 100)}
HEADERS = {"child": ["姓名", "身份证号", "出生日期", "街道/乡镇", "对象类别"],
           "elderly": ["姓名", "身份证号", "出生日期", "街道/乡镇", "对象类别", "特困供养方式"]}
GENERATED = {"name": {"$regex": "^生成对象"}}  # the rows this test makes (a portable prefix match)
DATE_FORMATS = ("{:%Y-%m-%d}", "{d.year}/{d.month}/{d.day}", "{d.year}年{d.month}月{d.day}日", "{:%Y%m%d}", "cell",
                "wide")
WIDE = {code - 0xFEE0: code for code in range(0xFF01, 0xFF5F)} | {0x20: 0x3000}


@st.composite
def people(draw, kind):
    low, high = AGES[kind]
    age = draw(st.integers(low, high))
    today = local_today()
    birth = today.replace(year=today.year - age) - dt.timedelta(days=draw(st.integers(0, 364)))
    identity = draw(st.sampled_from(("valid", "none", "check_digit", "other_birth")))
    number = None
    if identity != "none":
        born = birth if identity != "other_birth" else birth - dt.timedelta(days=draw(st.integers(1, 900)))
        number = idnumber.make("450305", born, draw(st.integers(0, 999)))
        if identity == "check_digit":
            number = number[:17] + next(c for c in "0123456789X" if c != number[17])
        if draw(st.booleans()):  # typed with a Chinese input method: full-width, spaced, a lower-case x
            number = f"{number[:6]} {number[6:14]} {number[14:]} ".lower().translate(WIDE)
    return {"age": age, "birth": birth, "id_number": number,
            "date_format": draw(st.sampled_from(DATE_FORMATS)),
            "categories": draw(st.lists(st.sampled_from(CATEGORIES[kind]), max_size=2, unique=True)),
            "support_mode": draw(st.sampled_from((None, "集中供养", "分散供养")))}


def cell_date(day: dt.date, form: str):
    if form == "cell":
        return dt.datetime.combine(day, dt.time())
    if form == "wide":
        return f" {day.year} 年 {day.month} 月 {day.day} 日 ".translate(WIDE)
    return form.format(day, d=day)


def sheet_row(kind, index, person):
    row = [f"生成对象{index}", person["id_number"], cell_date(person["birth"], person["date_format"]), "东江街道",
           "、".join(person["categories"]) or None]
    if kind == "elderly":
        row.append(person["support_mode"])
    return row


def saves(kind, index, person) -> bool:
    """Whether saving this person through the service layer (as a form does) succeeds."""
    names = {c.name: c for c in PersonCategory.objects}
    modes = {"集中供养": "centralised", "分散供养": "dispersed", None: None}
    extra = {"support_mode": modes[person["support_mode"]]} if kind == "elderly" else {}
    archive = ARCHIVE_KINDS[kind](name=f"生成对象{index}", id_number=person["id_number"],
                                  birth_date=dt.datetime.combine(person["birth"], dt.time()),
                                  township=Township.objects(name="东江街道").get(),
                                  categories=[names[n] for n in person["categories"]], **extra)
    try:
        create_record(archive, None)
    except DomainError:
        return False
    Archive.objects(pk=archive.pk).delete()  # the test's own clean-up: the next row starts from nothing
    AuditEntry.objects(record_id=str(archive.pk)).delete()
    return True


@pytest.mark.parametrize("kind", ["child", "elderly"])
def test_preview_passes_a_row_exactly_when_saving_it_succeeds(app, kind):
    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(st.lists(people(kind), min_size=1, max_size=4, unique_by=lambda p: idnumber.normalise(p["id_number"]) or id(p)))
    def check(rows):
        data = workbook_bytes([sheet_row(kind, i, p) for i, p in enumerate(rows)], headers=HEADERS[kind],
                              title=f"{kind}档案")
        preview = preview_import(data, kind, None)
        assert not preview.file_problems
        passed = {r.row: not r.problems for r in preview.rows}
        for index, person in enumerate(rows):
            row_number = index + 2
            assert passed[row_number] == saves(kind, index, person), \
                (person, [r.problems for r in preview.rows if r.row == row_number])
        batch = start_batch(data, "生成名单.xlsx", kind, len(rows), None)
        if all(passed.values()):
            apply_import(batch, None, None)
            assert Archive.objects(__raw__=GENERATED).count() == len(rows)
        else:
            failing = [str(number) for number, ok in passed.items() if not ok]
            with pytest.raises(DomainError, match=f"第 {'、'.join(failing)} 行"):
                apply_import(batch, None, None)
            assert Archive.objects(__raw__=GENERATED).count() == 0
        Archive.objects(__raw__=GENERATED).delete()

    check()


def test_rows_the_old_preview_passed_and_confirm_refused(app):
    """The reported cases: a child born 1947, and a 17-year-old 农村留守儿童."""
    today = local_today()
    seventeen = today.replace(year=today.year - 17) - dt.timedelta(days=30)
    data = workbook_bytes([["老人误入", None, "1947-05-01", "东江街道", None],
                           ["十七岁", idnumber.make("450305", seventeen, 5), f"{seventeen:%Y-%m-%d}", "东江街道",
                            "农村留守儿童"]], headers=HEADERS["child"])
    preview = preview_import(data, "child", None)
    problems = {r.row: "；".join(r.problems) for r in preview.rows}
    assert "儿童档案的对象应未满 18 周岁" in problems[2]
    assert "农村留守儿童应未满 16 周岁" in problems[3]
    batch = start_batch(data, "名单.xlsx", "child", 2, None)
    with pytest.raises(DomainError, match="第 2、3 行仍有问题"):
        apply_import(batch, None, None)
