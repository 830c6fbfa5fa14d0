"""A second archive of one person is refused wherever it is saved from: the service
layer (so the command line and every operation), the Excel import and the form, with
one Chinese message, shown on the form at the field it concerns. The cases run over
every kind of archive and both ways of being the same person (the ID number; the
name, birth date and township)."""

import datetime as dt
import html
import re

import pytest

from models import idnumber
from models.archive_import import preview_import
from models.archive_operations import change_status
from models.archives import ARCHIVE_KINDS, Archive
from models.errors import DomainError
from models.services import create_record

from .archive_helpers import child_form
from .conftest import submit
from .test_import import workbook_bytes

BIRTHS = {"child": dt.date(2015, 3, 5), "elderly": dt.date(1945, 3, 5), "homeless": dt.date(1980, 3, 5)}
#: how a second archive is the same person: the field the refusal names, and what the second one is
SHAPES = {"id_number": "id_number", "same name, birth and township": "confirm_not_duplicate"}


def _archive(kind, township, name="重复对象", sequence=24, with_number=True):
    birth = BIRTHS[kind]
    return ARCHIVE_KINDS[kind](name=name, township=township, birth_date=dt.datetime.combine(birth, dt.time()),
                               id_number=idnumber.make("450305", birth, sequence) if with_number else None)


def _second(kind, township, shape, with_number=False):
    """A second archive of the first one's person (whose number, if the first has one, it lacks:
    where both carry one, different numbers are different people)."""
    if shape == "id_number":
        return _archive(kind, township, name="另一个名字")
    return _archive(kind, township, sequence=26, with_number=with_number)


def _refusal(archive) -> DomainError:
    with pytest.raises(DomainError) as refused:
        create_record(archive, None)
    return refused.value


def _field_errors(page: str, field: str) -> str:
    """The text of the error block that follows the form field ``field``."""
    start = page.index(f'name="{field}"')
    block = re.search(r'class="invalid-feedback">(.*?)</div>', page[start:], re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", block.group(1))) if block else ""


@pytest.mark.parametrize("kind", sorted(ARCHIVE_KINDS))
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_service_layer_refuses_a_second_archive_of_one_person(app, townships, kind, shape):
    first = create_record(_archive(kind, townships["东江街道"]), None)
    refused = _refusal(_second(kind, townships["东江街道"], shape))
    assert refused.field == SHAPES[shape]
    assert str(first.pk) in refused.message and "重复对象" in refused.message
    assert Archive.objects.count() == 1
    if shape != "id_number":  # the one saving it checked: another person of that name and birth date
        confirmed = _second(kind, townships["东江街道"], shape)
        confirmed.confirm_not_duplicate = True
        create_record(confirmed, None)
        assert Archive.objects.count() == 2


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_import_and_the_form_give_the_message_the_service_layer_gives(app, login_as, townships, shape):
    dongjiang = townships["东江街道"]
    create_record(_archive("child", dongjiang, with_number=shape == "id_number"), None)
    expected = _refusal(_second("child", dongjiang, shape, with_number=True)).message
    second = _second("child", dongjiang, shape, with_number=True)  # a row without one would update the first
    row = [second.name, second.id_number, None, f"{BIRTHS['child']:%Y-%m-%d}", "东江街道", None, None, None, None]
    preview = preview_import(workbook_bytes([row]), "child", None)
    if shape == "id_number":  # the import's own rule: a number on file is that archive, updated
        assert [(r.action, r.problems) for r in preview.rows] == [("update", [])]
    else:
        assert [r.problems for r in preview.rows] == [[expected]]
    form = child_form(dongjiang, name=second.name, id_number=second.id_number, sex=None)
    page = submit(login_as("staff"), "/childarchive/new/", form).get_data(as_text=True)
    assert expected in _field_errors(page, SHAPES[shape])
    assert Archive.objects.count() == 1


def test_changing_other_things_of_a_confirmed_twin_is_not_refused(app, townships, accounts):
    dongjiang = townships["东江街道"]
    create_record(_archive("child", dongjiang), None)
    twin = _archive("child", dongjiang, with_number=False)
    twin.confirm_not_duplicate = True
    create_record(twin, None)
    outcome = change_status(Archive.objects(pk=twin.pk), "closed", dt.date(2026, 3, 1), "迁出本区",
                            accounts["coordinator"])
    assert [record.pk for record in outcome.changed] == [twin.pk] and not outcome.refused
    assert _refusal(_archive("child", dongjiang, sequence=28)).field == "confirm_not_duplicate"  # a new one still is
    assert create_record(_archive("child", townships["穿山街道"], sequence=30), None)  # another township: another person
