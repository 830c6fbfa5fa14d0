"""Daily operation: reception contacts through to closure, the duty roster,
and returnee escort assistance linked to an archive."""

import datetime as dt

import pytest

from models import idnumber
from models.archives import HomelessArchive
from models.audit import AuditEntry
from models.base import FollowUp
from models.clock import local_now
from models.errors import DomainError
from models.escorts import ReturneeEscort, escort_counts
from models.reception import DutyDay, ReceptionContact, due_follow_ups
from models.services import create_record, snapshot, update_record

from .archive_helpers import make_child
from .conftest import submit


def contact_form(township, **overrides):
    data = {"received_at": "2026-03-02 09:30:00", "place": "protection", "channel": "phone", "caller_name": "刘女士",
            "caller_phone": "13800000000", "caller_relation": "neighbour", "township": str(township.pk),
            "category": "child", "matter": "邻居家孩子常独自在家，晚上无人照看", "person_description": "约8岁男孩"}
    data.update(overrides)
    return data


def test_a_reception_contact_is_followed_up_and_closed(app, client, login_as, townships, accounts):
    login_as("staff")
    child = make_child(townships["东江街道"], name="周小北")
    response = submit(client, "/reception/new/", contact_form(townships["东江街道"], person=str(child.pk),
                                                             follow_up_due="2026-03-05"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    contact = ReceptionContact.objects.get()
    assert contact.status == "open" and contact.township.name == "东江街道"
    assert contact in due_follow_ups(today=dt.date(2026, 3, 6))
    assert contact not in due_follow_ups(today=dt.date(2026, 3, 4))

    before = snapshot(contact)
    contact.closed_at = dt.datetime(2026, 3, 6, 10, 0)
    with pytest.raises(DomainError, match="办结前请填写处理情况"):
        update_record(contact, before, contact.version, accounts["staff"])
    contact.reload()
    before = snapshot(contact)
    contact.follow_ups = [FollowUp(on=dt.datetime(2026, 3, 4), by="张社工", notes="入户核实，母亲外出务工")]
    contact.action_taken = "入户核实并联系社区儿童主任"
    contact.closed_at = dt.datetime(2026, 3, 6, 10, 0)
    with pytest.raises(DomainError, match="办结时请填写办结情况"):
        update_record(contact, before, contact.version, accounts["staff"])
    contact.outcome = "已落实委托监护"
    update_record(contact, before, contact.version, accounts["staff"])
    assert ReceptionContact.objects.get().status == "closed"
    assert not due_follow_ups(today=dt.date(2026, 3, 6))
    assert AuditEntry.objects(collection="reception_contacts").count() == 2

    page = client.get(f"/childarchive/details/?id={child.pk}").get_data(as_text=True)
    assert "未成年人保护站来电" in page and "邻居家孩子常独自在家" in page


def test_reception_refuses_bad_input_and_keeps_it(app, client, login_as, townships):
    login_as("staff")
    page = submit(client, "/reception/new/", contact_form(townships["东江街道"], person_description="",
                                                         category="assistance")).get_data(as_text=True)
    assert "请选择当事人档案，或填写当事人情况" in page and "邻居家孩子常独自在家" in page
    page = submit(client, "/reception/new/", contact_form(townships["东江街道"], follow_up_due="2026-03-01")
                  ).get_data(as_text=True)
    assert "跟进期限不能早于接待日期" in page
    future = (local_now() + dt.timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S")
    page = submit(client, "/reception/new/", contact_form(townships["东江街道"], received_at=future)).get_data(as_text=True)
    assert "接待时间不能晚于现在" in page
    page = submit(client, "/reception/new/", contact_form(townships["穿山街道"])).get_data(as_text=True)
    assert "只能选择您负责的街道/乡镇" in page
    assert ReceptionContact.objects.count() == 0


def test_a_child_matter_opens_a_protection_concern_in_one_step(app, client, login_as, townships):
    login_as("staff")
    child = make_child(townships["东江街道"], name="吴小南")
    submit(client, "/reception/new/", contact_form(townships["东江街道"], person=str(child.pk)))
    contact = ReceptionContact.objects.get()
    details = client.get(f"/reception/details/?id={contact.pk}").get_data(as_text=True)
    assert "开启儿童保护处置" in details
    form_url = f"/concern/new/?source=reception&record={contact.pk}&child={child.pk}"
    form_page = client.get(form_url).get_data(as_text=True)
    assert "吴小南" in form_page and str(contact.pk) in form_page
    response = submit(client, form_url, {"child": str(child.pk), "township": str(townships["东江街道"].pk),
                                         "source": "reception", "source_record": str(contact.pk),
                                         "discovered_at": "2026-03-02 09:30:00", "discovered_by": "张社工",
                                         "description": "独自在家无人照看"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    details = client.get(f"/reception/details/?id={contact.pk}").get_data(as_text=True)
    assert "儿童保护处置：已发现" in details


def test_reception_contacts_keep_to_the_workers_townships(app, client, login_as, townships):
    login_as("staff")
    submit(client, "/reception/new/", contact_form(townships["东江街道"], caller_name="东江来电人"))
    contact = ReceptionContact.objects.get()
    login_as("staff2")
    assert "东江来电人" not in client.get("/reception/").get_data(as_text=True)
    assert client.get(f"/reception/details/?id={contact.pk}").status_code in (302, 404)
    login_as("manager")
    assert "东江来电人" in client.get("/reception/").get_data(as_text=True)
    assert client.get("/reception/new/").status_code == 403


def test_duty_roster_needs_someone_on_duty_and_one_entry_per_day(app, client, login_as, accounts):
    login_as("coordinator")
    page = submit(client, "/dutyday/new/", {"day": "2026-03-02", "place": "station", "phone": "0773-1234567"}
                  ).get_data(as_text=True)
    assert "值班日须至少安排一名值班人员" in page and "0773-1234567" in page
    assert DutyDay.objects.count() == 0
    data = {"day": "2026-03-02", "place": "station", "on_duty": [str(accounts["staff"].pk), str(accounts["staff2"].pk)]}
    assert submit(client, "/dutyday/new/", data).status_code == 302
    page = submit(client, "/dutyday/new/", data).get_data(as_text=True)
    assert "2026-03-02 民政服务站已有值班安排" in page
    assert submit(client, "/dutyday/new/", {**data, "place": "protection"}).status_code == 302
    month = client.get("/dutyday/month/?year=2026&month=3").get_data(as_text=True)
    assert "张社工、陈社工" in month
    assert "本月有 21 个工作日尚未安排值班" in month  # 22 workdays in March 2026, one arranged
    login_as("staff")
    assert client.get("/dutyday/month/?year=2026&month=3").status_code == 200
    assert client.get("/dutyday/new/").status_code == 403


def homeless(township, name="黄某"):
    return create_record(HomelessArchive(name=name, township=township, birth_date=dt.datetime(1970, 1, 1),
                                         id_number=idnumber.make("450305", dt.date(1970, 1, 1), 31)), None)


def test_returnee_escort_is_linked_to_the_archive_and_counted(app, client, login_as, townships, accounts):
    person = homeless(townships["东江街道"])
    login_as("staff")
    form = {"request_date": "2026-04-01", "requested_by": "桂林市救助管理站", "person": str(person.pk),
            "township": str(townships["东江街道"].pk), "from_place": "广东省广州市救助站",
            "handover_date": "2026-03-30", "handover_place": "东江街道办", "received_by": "family",
            "receiver_name": "黄某之兄"}
    page = submit(client, "/escort/new/", form).get_data(as_text=True)
    assert "交接日期不能早于请求日期" in page and "广东省广州市救助站" in page
    page = submit(client, "/escort/new/", {**form, "handover_date": "2026-04-03", "receiver_name": ""}
                  ).get_data(as_text=True)
    assert "已交接时请填写接收方和接收人" in page
    assert ReturneeEscort.objects.count() == 0
    assert submit(client, "/escort/new/", {**form, "handover_date": "2026-04-03"}).status_code == 302
    escort = ReturneeEscort.objects.get()
    assert escort.status == "handed_over" and escort.person.pk == person.pk

    before = snapshot(escort)
    escort.follow_ups = [FollowUp(on=dt.datetime(2026, 4, 2), by="张社工", notes="在家")]
    with pytest.raises(DomainError, match="回访日期不能早于交接日期"):
        update_record(escort, before, escort.version, accounts["staff"])
    escort.follow_ups = [FollowUp(on=dt.datetime(2026, 4, 20), by="张社工", notes="与兄同住，情绪稳定")]
    update_record(escort, before, escort.version, accounts["staff"])
    assert ReturneeEscort.objects.get().status == "following"

    details = client.get(f"/homelessarchive/details/?id={person.pk}").get_data(as_text=True)
    assert "返乡护送协助" in details and "返乡后回访" in details and "与兄同住" in details
    assert escort_counts("2026") == {"2026-04": 1}
    summary = client.get("/escort/summary/?year=2026").get_data(as_text=True)
    assert 'id="escort-total">1<' in summary
    login_as("staff2")
    assert escort_counts("2026", [townships["穿山街道"].pk]) == {}
    assert 'id="escort-total">0<' in client.get("/escort/summary/?year=2026").get_data(as_text=True)


def test_due_follow_ups_show_on_the_start_page_and_open_the_filtered_list(app, client, login_as, townships):
    login_as("staff")
    submit(client, "/reception/new/", contact_form(townships["东江街道"], caller_name="待跟进人", follow_up_due="2026-03-05"))
    submit(client, "/reception/new/", contact_form(townships["东江街道"], caller_name="无期限人"))
    home = client.get("/").get_data(as_text=True)
    assert "来访来电待跟进" in home
    link = next(part.split('"')[0] for part in home.split('href="')[1:] if "only=reception.due" in part).replace("&amp;", "&")
    listed = client.get(link).get_data(as_text=True)
    assert "待跟进人" in listed and "无期限人" not in listed and "跟进逾期" in listed
