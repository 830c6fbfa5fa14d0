"""A role that sees ID numbers masked cannot recover them: search, filters and the
ajax person lookup match a complete, valid number only; creating or importing an
archive whose number is on file in another township says so without naming the
person or the archive."""

import datetime as dt

from models import idnumber
from models.archives import Archive, ChildArchive

from .archive_helpers import child_form, make_child
from .conftest import submit

NUMBER = idnumber.make("450305", dt.date(2016, 5, 1), 11)


def _found(client, term) -> bool:
    return "号码测试儿童" in client.get(f"/archive/?search={term}").get_data(as_text=True)


def test_roles_that_see_masked_numbers_find_a_person_by_the_whole_number_only(app, login_as, townships):
    make_child(townships["东江街道"], name="号码测试儿童", sequence=11)
    for role in ("manager", "admin"):
        client = login_as(role)
        for part in (NUMBER[:4], NUMBER[:10], NUMBER[:17], NUMBER[6:], NUMBER[-4:]):
            assert not _found(client, part), (role, part)
        assert _found(client, NUMBER), role
        assert _found(client, NUMBER.lower()), role
        assert _found(client, "号码测试"), role  # the name still searches as before
        body = client.get(f"/visit/ajax/lookup/?name=people&query={NUMBER[:10]}").get_json()
        assert body == [], (role, body)
        body = client.get(f"/visit/ajax/lookup/?name=people&query={NUMBER}").get_json()
        assert [label for _, label in body] == ["号码测试儿童"], role


def test_roles_that_see_full_numbers_still_search_by_part(app, login_as, townships):
    make_child(townships["东江街道"], name="号码测试儿童", sequence=11)
    for role in ("staff", "coordinator"):
        client = login_as(role)
        assert _found(client, NUMBER[:10]), role
        body = client.get(f"/visit/ajax/lookup/?name=people&query={NUMBER[-6:]}").get_json()
        assert [label for _, label in body] == ["号码测试儿童"], role


def test_a_number_on_file_in_another_township_is_not_named(app, login_as, townships, accounts):
    existing = make_child(townships["东江街道"], name="东江已建档儿童", birth=dt.date(2015, 3, 5), sequence=24)
    client = login_as("staff2")  # 穿山街道
    response = submit(client, "/childarchive/new/", child_form(townships["穿山街道"], name="穿山新建"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已有档案" in page and "项目主管" in page and accounts["coordinator"].display_name in page
    assert "东江已建档儿童" not in page and str(existing.pk) not in page and "东江街道" not in page.split("</nav>")[-1]
    assert ChildArchive.objects(name="穿山新建").count() == 0
    # within the township the archive is named, as before
    page = submit(login_as("staff"), "/childarchive/new/", child_form(townships["东江街道"], name="东江重复")) \
        .get_data(as_text=True)
    assert "东江已建档儿童" in page and str(existing.pk) in page


def test_an_import_row_with_a_number_on_file_elsewhere_is_refused_without_naming(app, login_as, townships):
    from .test_import import upload, workbook_bytes

    existing = make_child(townships["东江街道"], name="东江已建档儿童", birth=dt.date(2013, 2, 2), sequence=5)
    number = idnumber.make("450305", dt.date(2013, 2, 2), 5)
    client = login_as("staff2")
    page = upload(client, workbook_bytes([["穿山导入", number, None, None, "穿山街道", None, None, None, None]])) \
        .get_data(as_text=True)
    assert "不在您负责的街道/乡镇" in page and "项目主管" in page
    assert "东江已建档儿童" not in page and str(existing.pk) not in page and "确认导入" not in page
    assert Archive.objects(id_number=number).first().township.pk == townships["东江街道"].pk
