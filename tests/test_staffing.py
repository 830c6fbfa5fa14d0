"""The staff roster against the plan's staffing rules."""

import datetime as dt

import pytest

from models.errors import DomainError
from models.services import create_record
from models.staffing import StaffMember, staffing_check

from .conftest import submit


def member(name, sex="女", employment="full_time", education="bachelor", major_field="social_work", rescue=False,
           started=dt.datetime(2026, 1, 1), ended=None, **extra):
    return create_record(StaffMember(name=name, sex=sex, employment=employment, education=education,
                                     major_field=major_field, post="社工", street_rescue=rescue, started_on=started,
                                     ended_on=ended, **extra), None)


def by_label(result):
    return {c["label"]: c for c in result["checks"]}


def test_a_team_that_meets_every_rule(app):
    member("甲", sex="男", rescue=True)
    member("乙", rescue=True)
    member("丙", education="college", major_field="psychology")
    member("丁", education="high_school", major_field="other", relevant_certificate=True, certificates="助理社会工作师")
    member("戊", employment="part_time", education="high_school", major_field="other")
    member("己", employment="part_time", education="high_school", major_field="other")
    result = staffing_check(dt.date(2026, 6, 1))
    assert result["met"], result["checks"]
    assert by_label(result)["工作人员总数"]["actual"] == 6


def test_each_rule_fails_on_its_own(app):
    member("甲", rescue=True)  # no man among the full-time staff
    member("乙")
    member("丙", education="high_school", major_field="other")  # full-time, not qualified
    member("丁", employment="part_time")
    member("戊", employment="part_time", ended=dt.datetime(2026, 3, 1))  # left before the check day
    result = by_label(staffing_check(dt.date(2026, 6, 1)))
    assert (result["工作人员总数"]["actual"], result["工作人员总数"]["met"]) == (4, False)
    assert (result["专职工作人员"]["actual"], result["专职工作人员"]["met"]) == (3, False)
    assert (result["男性专职工作人员"]["actual"], result["男性专职工作人员"]["met"]) == (0, False)
    assert (result["流浪乞讨救助工作人员"]["actual"], result["流浪乞讨救助工作人员"]["met"]) == (1, False)
    assert not result["专职人员学历专业或资质"]["met"] and "丙" in result["专职人员学历专业或资质"]["names"]


def test_roster_rules_and_the_check_page(app, client, login_as):
    with pytest.raises(DomainError, match="离职日期不能早于入职日期"):
        member("甲", ended=dt.datetime(2025, 1, 1))
    with pytest.raises(DomainError, match="请填写证书名称"):
        member("乙", relevant_certificate=True)
    member("丙", sex="男")
    login_as("coordinator")
    page = client.get("/staffmember/check/?day=2026-06-01").get_data(as_text=True)
    assert "不符合项目配备要求" in page and "不少于 6 人" in page
    response = submit(client, "/staffmember/new/", {"name": "丁", "sex": "女", "employment": "full_time",
                                                    "education": "bachelor", "major_field": "nursing", "post": "护理",
                                                    "started_on": "2026-02-01"})
    assert response.status_code == 302
    assert login_as("staff").get("/staffmember/check/").status_code == 403
    assert login_as("manager").get("/staffmember/check/").status_code == 200
