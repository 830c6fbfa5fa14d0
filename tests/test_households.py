"""Households (户): linked from the bureau's list, one home visit covering the due members
of different kinds, and a member's move, closing or voiding kept on the household."""

import datetime as dt
import io

import pytest

from models import idnumber
from models.archives import Archive, ChildArchive, ElderlyArchive
from models.audit import AuditEntry
from models.clock import local_now
from models.households import Household, household_of
from models.periods import period_bounds
from models.reference import PersonCategory
from models.services import create_record, snapshot, update_record, void_record
from models.visits import Visit, compliance, current_key, due_query, policies, tag_for

from .archive_helpers import make_child, make_elder
from .conftest import csrf_token
from .helpers import png_bytes
from .test_import import confirm, upload, workbook_bytes

HEAD_BIRTH = dt.date(1944, 4, 4)
HEAD_ID = idnumber.make("450305", HEAD_BIRTH, 31)
HEADERS = ["姓名", "身份证号", "出生日期", "街道/乡镇", "对象类别", "风险等级", "户主身份证号", "与户主关系"]


def _child_rows():
    rows = []
    for index, relation in enumerate(("孙子女", "孙子女"), start=1):
        birth = dt.date(2014, 1, index)
        rows.append([f"户内儿童{index}", idnumber.make("450305", birth, 40 + index), birth.strftime("%Y-%m-%d"),
                     "东江街道", "农村留守儿童", "二级（中）", HEAD_ID, relation])
    return rows


def _import(client, data, kind="child"):
    from models.archive_import import ImportBatch

    count = ImportBatch.objects.count()
    page = upload(client, data, kind=kind).get_data(as_text=True)
    assert ImportBatch.objects.count() == count + 1, page[-1500:]
    batch = ImportBatch.objects.order_by("-created_at", "-id").first()
    assert confirm(client, batch).status_code == 302, page[-1500:]
    return page


def test_a_household_is_linked_from_the_list_and_a_second_import_changes_nothing(app, login_as):
    client = login_as("staff")
    data = workbook_bytes(_child_rows(), headers=HEADERS)
    page = _import(client, data)
    assert "归入户主" in page and idnumber.mask(HEAD_ID) in page
    household = Household.objects.get()
    children = {a.pk for a in ChildArchive.objects(name__in=["户内儿童1", "户内儿童2"])}
    assert set(household.member_ids) == children and household.head is None
    assert str(household) == f"户主（{idnumber.mask(HEAD_ID)}）户"
    # the 户主's own archive, from the elderly list, becomes the household's head
    elder_rows = [["户主奶奶", HEAD_ID, HEAD_BIRTH.strftime("%Y-%m-%d"), "东江街道", "留守老人", None, HEAD_ID, "户主"]]
    elder_rows[0].pop(5)  # no risk level column for the elderly
    _import(client, workbook_bytes(elder_rows, headers=[h for h in HEADERS if h != "风险等级"], title="老年人档案"),
            kind="elderly")
    household.reload()
    elder = ElderlyArchive.objects.get(id_number=HEAD_ID)
    assert household.head.pk == elder.pk and len(household.member_ids) == 3
    assert {m.relation for m in household.members} == {"head", "grandchild"}
    before = (household.version, AuditEntry.objects(record_id=str(household.pk)).count(), Household.objects.count())
    _import(client, data)  # the same file again
    household.reload()
    assert (household.version, AuditEntry.objects(record_id=str(household.pk)).count(), Household.objects.count()) == before
    page = client.get(f"/household/details/?id={household.pk}").get_data(as_text=True)
    for name in ("户主奶奶", "户内儿童1", "户内儿童2", "孙子女", "老年人", "儿童", "二级（中）"):
        assert name in page, name


def test_the_import_preview_refuses_a_bad_head_number_and_a_relation_without_one(app, login_as):
    rows = _child_rows()
    rows[0][6] = HEAD_ID[:-1] + ("0" if HEAD_ID[-1] != "0" else "1")
    rows[1][6] = None
    page = upload(login_as("staff"), workbook_bytes(rows, headers=HEADERS)).get_data(as_text=True)
    assert "户主身份证号" in page and "校验位" in page and "请同时填写“户主身份证号”" in page
    assert Household.objects.count() == 0


def _household(townships, actor=None):
    """A 一级 child (due weekly) and an 高龄 grandparent (due monthly) in one household."""
    home = townships["东江街道"]
    oldest = PersonCategory.objects.get(code="oldest_old")
    child = make_child(home, name="小周", sequence=51, risk_level="1")
    elder = make_elder(home, name="周爷爷", birth=dt.date(1938, 2, 2), sequence=52, categories=[oldest])
    household = create_record(Household(head_name="周爷爷", township=home, members=[
        {"person": elder.pk, "relation": "head"}, {"person": child.pk, "relation": "grandchild"}]), actor)
    return household, child, elder


def _due(person, code):
    item = next(p for p in policies() if p["code"] == code)
    return due_query(item, current_key(item["period"])).filter(pk=person.pk).count() == 1


def test_one_home_visit_covers_two_due_members_of_different_kinds_counted_once_each(app, login_as, townships):
    household, child, elder = _household(townships)
    assert _due(child, "child_risk_1") and _due(elder, "elderly_monthly")
    client = login_as("staff")
    url = f"/visit/new/?person={child.pk}"
    page = client.get(url).get_data(as_text=True)
    assert "同户待访成员" in page and "周爷爷" in page and str(elder.pk) in page
    data = {"csrf_token": csrf_token(client, url), "people": str(child.pk), "household_members": [str(elder.pk)],
            "visited_at": local_now().strftime("%Y-%m-%d %H:%M:%S"), "mode": "home", "contact": "made",
            "notes": "一次入户，祖孙都见到了", "photo_upload": (io.BytesIO(png_bytes()), "home.png")}
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    visit = Visit.objects.get(notes="一次入户，祖孙都见到了")
    assert {p.pk for p in visit.people} == {child.pk, elder.pk}
    assert not _due(child, "child_risk_1") and not _due(elder, "elderly_monthly")
    for person, code in ((child, "child_risk_1"), (elder, "elderly_monthly")):
        item = next(p for p in policies() if p["code"] == code)
        key = current_key(item["period"])
        marks = Archive.objects.get(pk=person.pk).visited_periods
        assert marks.count(tag_for(item, key)) == 1, (person.name, marks)
        start, end = period_bounds(item["period"], key)
        current = next(row for row in compliance(item, start, end) if row["key"] == key)
        assert [p["_id"] for p in current["met"]] == [person.pk] and current["visited"] == 1, (code, current)
    # nobody left to offer: the form shows no household field for the child now
    assert "同户待访成员" not in client.get(url).get_data(as_text=True)
    page = client.get(f"/household/details/?id={household.pk}").get_data(as_text=True)
    assert page.count("一次入户，祖孙都见到了") <= 1 and "household-visit" not in page


def _move(person, townships, actor):
    fresh = Archive.objects.get(pk=person.pk)
    before = snapshot(fresh)
    fresh.township, fresh.community = townships["穿山街道"], None
    fresh.status, fresh.status_reason = "moved", "随父母迁往穿山街道"
    update_record(fresh, before, fresh.version, actor)


def _close(person, townships, actor):
    fresh = Archive.objects.get(pk=person.pk)
    before = snapshot(fresh)
    fresh.status, fresh.status_reason = "closed", "年满十八周岁"
    update_record(fresh, before, fresh.version, actor)


def _void(person, townships, actor):
    void_record(Archive.objects.get(pk=person.pk), "重复建档", actor)


@pytest.mark.parametrize("change, shown", [(_move, "转出"), (_close, "结案"), (_void, "已作废")])
def test_a_member_moved_closed_or_voided_stays_on_the_household(app, login_as, townships, accounts, change, shown):
    household, child, elder = _household(townships)
    change(child, townships, accounts["coordinator"])
    household.reload()
    assert child.pk in household.member_ids and len(household.members) == 2  # nothing removed
    page = login_as("coordinator").get(f"/household/details/?id={household.pk}").get_data(as_text=True)
    assert "小周" in page and shown in page
    moved = change is _move
    assert (townships["穿山街道"].pk in [t.pk for t in household.townships]) is moved
    # scope follows the members' townships: the 穿山 worker sees the household only when a member lives there
    status = login_as("staff2").get(f"/household/details/?id={household.pk}").status_code
    assert status == (200 if moved else 404)


def test_a_member_who_leaves_keeps_their_line_and_the_change_is_audited(app, login_as, townships):
    household, child, elder = _household(townships)
    client = login_as("staff")
    url = f"/household/details/?id={household.pk}"
    refused = client.post(f"/household/leave/?id={household.pk}",
                          data={"csrf_token": csrf_token(client, url), "person": str(child.pk), "reason": ""})
    assert refused.status_code == 302 and "请填写离开原因" in client.get(url).get_data(as_text=True)
    client.post(f"/household/leave/?id={household.pk}",
                data={"csrf_token": csrf_token(client, url), "person": str(child.pk), "reason": "随母亲另立户"})
    household.reload()
    assert child.pk not in household.member_ids and len(household.members) == 2
    assert household_of(child.pk) is None and household_of(elder.pk).pk == household.pk
    page = client.get(url).get_data(as_text=True)
    assert "随母亲另立户" in page and "小周" in page
    assert AuditEntry.objects(record_id=str(household.pk), action="update").count() == 1
    # and the same person is added back by ID number from the page
    client.post(f"/household/member/?id={household.pk}",
                data={"csrf_token": csrf_token(client, url), "person": child.id_number, "relation": "grandchild"})
    household.reload()
    assert child.pk in household.member_ids and len(household.members) == 3


def test_a_person_belongs_to_one_household_only(app, townships):
    from models.errors import DomainError

    household, child, elder = _household(townships)
    with pytest.raises(DomainError, match="一人只能属于一户"):
        create_record(Household(head_name="另一户", township=townships["东江街道"],
                                members=[{"person": child.pk, "relation": "child"}]), None)


def test_a_household_is_created_by_hand_from_a_persons_file(app, login_as, townships):
    elder = make_elder(townships["东江街道"], name="手工户主", sequence=71, current_address="东江路1号")
    client = login_as("staff")
    details = client.get(f"/archive/details/?id={elder.pk}").get_data(as_text=True)
    assert f"/household/new/?person={elder.pk}" in details and f"/household/?person={elder.pk}" in details
    url = f"/household/new/?person={elder.pk}"
    form = client.get(url).get_data(as_text=True)
    assert "手工户主" in form and "东江路1号" in form
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "head_name": "手工户主",
                                      "head_id_number": elder.id_number, "address": "东江路1号",
                                      "township": str(townships["东江街道"].pk)})
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    household = household_of(elder.pk)
    assert household is not None and household.head.pk == elder.pk and household.members[0].relation == "head"
    listed = client.get(f"/household/?person={elder.pk}").get_data(as_text=True)
    assert "只显示“手工户主”所在的家庭户" in listed and "手工户主" in listed
    # another township's worker sees neither the household nor its list row
    other = login_as("staff2")
    assert other.get(f"/household/details/?id={household.pk}").status_code == 404
    assert "手工户主" not in other.get("/household/").get_data(as_text=True)
