"""Cases and groups: qualification at the boundaries of the plan's rules,
hours that make no sense, stage documents in order, and the session page."""

import datetime as dt
import itertools

import pytest

from models.casework import (
    Case,
    CaseSession,
    GroupSeries,
    GroupSession,
    StageDocument,
    qualifying_cases_query,
    qualifying_groups_query,
    record_group_session,
)
from models.errors import DomainError
from models.rules import RuleSet
from models.services import create_record, snapshot, update_record

from .archive_helpers import make_child, make_elder
from .conftest import submit

SEQUENCES = itertools.count(100)


def sessions(count, hours, start=dt.datetime(2026, 3, 2)):
    return [CaseSession(session_date=start + dt.timedelta(days=i), hours=hours, content=f"第{i + 1}次面谈")
            for i in range(count)]


def case(townships, accounts, case_type="consultation", count=3, hours=2.0, **extra):
    person = extra.pop("client", None) or make_elder(townships["东江街道"], sequence=next(SEQUENCES))
    data = {"case_type": case_type, "client": person, "worker": accounts["staff"], "title": "居家照料困难",
            "opened_on": dt.datetime(2026, 3, 1), "sessions": sessions(count, hours)}
    data.update(extra)
    return create_record(Case(**data), accounts["staff"])


@pytest.mark.parametrize(("count", "hours", "qualifies"), [
    (2, 3.0, False),   # exactly 2 sessions: the plan says > 2
    (3, 4 / 3, False),  # 3 sessions but exactly 4 hours: the plan says > 4
    (3, 1.5, True),    # 3 sessions, 4.5 hours
])
def test_consultation_case_qualifies_only_above_both_limits(app, townships, accounts, count, hours, qualifies):
    record = case(townships, accounts, count=count, hours=round(hours, 4))
    met, lacking = record.qualification()
    assert met is qualifies, lacking
    found = Case.objects(__raw__=qualifying_cases_query("consultation")).count()
    assert found == (1 if qualifies else 0)


def test_consultation_case_shortfall_is_explained(app, townships, accounts):
    record = case(townships, accounts, count=2, hours=1.5)
    met, lacking = record.qualification()
    assert not met
    assert lacking == ["服务 2 次，须 > 2 次", "累计 3 工时，须 > 4 小时"]


def test_professional_case_boundaries(app, townships, accounts):
    five = case(townships, accounts, case_type="professional", count=5, hours=13.0)  # 65 hours, 5 sessions
    assert five.qualification() == (False, ["服务 5 次，须 > 5 次"])
    six_exact = case(townships, accounts, case_type="professional", count=6, hours=10.0)  # exactly 60 hours
    assert six_exact.qualification() == (False, ["累计 60 工时，须 > 60 小时"])
    six = case(townships, accounts, case_type="professional", count=6, hours=10.5)
    assert six.qualification() == (True, [])
    assert Case.objects(__raw__=qualifying_cases_query("professional")).count() == 1


def test_an_admin_can_change_a_rule_and_the_count_follows(app, townships, accounts):
    import json

    record = case(townships, accounts, count=3, hours=2.0)
    assert record.qualification()[0]
    rules = RuleSet.objects(key="service_rules").get()
    before = snapshot(rules)
    content = json.loads(rules.content)
    content["cases"]["consultation"]["sessions"] = {"op": ">", "value": 3}
    rules.content = json.dumps(content, ensure_ascii=False)
    update_record(rules, before, rules.version, accounts["admin"])
    assert record.qualification() == (False, ["服务 3 次，须 > 3 次"])
    assert Case.objects(__raw__=qualifying_cases_query("consultation")).count() == 0


def test_absurd_hours_are_refused(app, townships, accounts):
    with pytest.raises(DomainError, match="时长须大于 0 小时"):
        case(townships, accounts, hours=0)
    with pytest.raises(DomainError, match="时长须大于 0 小时"):
        case(townships, accounts, hours=-1)
    with pytest.raises(DomainError, match="一天最多 24 小时"):
        case(townships, accounts, count=1, hours=25)
    same_day = [CaseSession(session_date=dt.datetime(2026, 3, 2), hours=13, content="上午"),
                CaseSession(session_date=dt.datetime(2026, 3, 2), hours=12, content="下午")]
    with pytest.raises(DomainError, match="2026-03-02 共记录 25 小时"):
        case(townships, accounts, sessions=same_day)
    assert Case.objects.count() == 0


def test_stage_documents_follow_the_order_and_closing_needs_a_report(app, townships, accounts):
    docs = [StageDocument(stage="intake", written_on=dt.datetime(2026, 3, 1), content="接案"),
            StageDocument(stage="intervention", written_on=dt.datetime(2026, 3, 5), content="介入")]
    with pytest.raises(DomainError, match="先完成预估、计划"):
        case(townships, accounts, stage_documents=docs)
    with pytest.raises(DomainError, match="结案前请填写“结案”阶段文书"):
        case(townships, accounts, closed_on=dt.datetime(2026, 4, 1))
    full = [StageDocument(stage=code, written_on=dt.datetime(2026, 3, 1 + i), content=code)
            for i, code in enumerate(("intake", "assessment", "planning", "intervention", "evaluation", "closing"))]
    record = case(townships, accounts, stage_documents=full, closed_on=dt.datetime(2026, 4, 1))
    assert record.stage == "closing"


def test_case_shows_on_the_clients_timeline_and_list(app, client, login_as, townships, accounts):
    child = make_child(townships["东江街道"], name="何小东")
    case(townships, accounts, client=child, count=2, hours=1.0)
    login_as("staff")
    details = client.get(f"/childarchive/details/?id={child.pk}").get_data(as_text=True)
    assert "咨询个案接案" in details and "个案服务" in details
    listing = client.get("/case/").get_data(as_text=True)
    assert "未达标" in listing and "服务 2 次，须 &gt; 2 次" in listing


def test_case_form_refuses_bad_hours_and_keeps_the_input(app, client, login_as, townships, accounts):
    person = make_elder(townships["东江街道"], name="钱爷爷")
    login_as("staff")
    form = {"case_type": "consultation", "client": str(person.pk), "worker": str(accounts["staff"].pk),
            "title": "独居老人情绪支持", "opened_on": "2026-03-01",
            "sessions-0-session_date": "2026-03-02", "sessions-0-hours": "30", "sessions-0-content": "面谈"}
    page = submit(client, "/case/new/", form).get_data(as_text=True)
    assert "一天最多 24 小时" in page and "独居老人情绪支持" in page
    assert Case.objects.count() == 0
    form["sessions-0-hours"] = "1.5"
    assert submit(client, "/case/new/", form).status_code == 302
    assert Case.objects.get().total_hours == 1.5


def group(townships, members=("甲", "乙", "丙")):
    return create_record(GroupSeries(title="隔代教养家长小组", goal="提升沟通", township=townships["东江街道"],
                                     members=list(members), started_on=dt.datetime(2026, 3, 1)), None)


def add_sessions(record, count, hours):
    for i in range(count):
        record_group_session(record, GroupSession(session_date=dt.datetime(2026, 3, 2 + i), hours=hours,
                                                  attendance=["甲", "乙"]), None)
    return record


def test_group_qualifies_with_more_than_four_sessions_each_over_two_hours(app, townships):
    four = add_sessions(group(townships), 4, 2.5)
    assert four.qualification() == (False, ["共 4 节，须 > 4 节"])
    exactly_two = add_sessions(group(townships), 5, 2.0)
    assert exactly_two.qualification() == (False, ["第 1、2、3、4、5 节时长不足（每节须 > 2 小时）"])
    good = add_sessions(group(townships), 5, 2.5)
    assert good.qualification() == (True, [])
    assert GroupSeries.objects(__raw__=qualifying_groups_query()).count() == 1


def test_group_session_refuses_strangers_and_bad_hours(app, townships):
    record = group(townships)
    with pytest.raises(DomainError, match="出席者不是小组成员：丁"):
        record_group_session(record, GroupSession(session_date=dt.datetime(2026, 3, 2), hours=2.5,
                                                  attendance=["甲", "丁"]), None)
    record.reload()
    with pytest.raises(DomainError, match="一天最多 24 小时"):
        record_group_session(record, GroupSession(session_date=dt.datetime(2026, 3, 2), hours=30, attendance=["甲"]),
                             None)
    assert GroupSeries.objects.get().session_count == 0


def test_session_page_records_attendance_and_keeps_input_on_error(app, client, login_as, townships):
    record = group(townships)
    login_as("staff")
    url = f"/groupseries/session/?id={record.pk}"
    page = submit(client, url, {"session_date": "2026-03-03", "hours": "25", "topic": "认识彼此",
                                "attendance": ["甲", "乙"], "record_version": "1"}).get_data(as_text=True)
    assert "一天最多 24 小时" in page and "认识彼此" in page
    response = submit(client, url, {"session_date": "2026-03-03", "hours": "2.5", "topic": "认识彼此",
                                    "attendance": ["甲", "丙"], "record_version": "1", "content": "破冰游戏"})
    assert response.status_code == 302
    saved = GroupSeries.objects.get()
    assert saved.session_count == 1 and saved.sessions[0].attendance == ["甲", "丙"]
    assert login_as("staff2").get(url).status_code == 404
