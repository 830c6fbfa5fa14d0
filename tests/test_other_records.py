"""Charity, pairings, publicity and the other contracted work: their rules,
their place on the person's timeline, and township scoping."""

import datetime as dt

import pytest

from models.charity import Donation, Pairing, PairingActivity, Partner
from models.errors import DomainError
from models.other_work import AdoptionAssessment, BureauTask, MediaArticle
from models.publicity import PublicityActivity, topic_months
from models.reference import ThemeTag
from models.services import create_record, snapshot, update_record

from .archive_helpers import make_child
from .conftest import submit


def test_donations_need_what_was_given_and_to_whom(app, townships):
    partner = create_record(Partner(name="漓江爱心企业", kind="enterprise"), None)
    with pytest.raises(DomainError, match="资金捐赠请填写金额"):
        create_record(Donation(direction="received", donated_on=dt.datetime(2026, 5, 1), partner=partner, kind="cash"),
                      None)
    with pytest.raises(DomainError, match="发放时请选择受助对象或关联的活动"):
        create_record(Donation(direction="given", donated_on=dt.datetime(2026, 5, 1), kind="in_kind", items="米 10 袋"),
                      None)
    with pytest.raises(DomainError, match="已有合作单位“漓江爱心企业”"):
        create_record(Partner(name="漓江爱心企业", kind="charity"), None)
    child = make_child(townships["东江街道"], name="邓小南")
    given = create_record(Donation(direction="given", donated_on=dt.datetime(2026, 5, 2), kind="in_kind",
                                   items="书包 1 个", recipient=child, partner=partner), None)
    assert given.township.pk == townships["东江街道"].pk


def test_a_child_has_one_open_pairing_and_it_shows_on_the_timeline(app, client, login_as, townships):
    child = make_child(townships["东江街道"], name="彭小北")
    pairing = create_record(Pairing(caring_parent="刘爱心", parent_phone="13700000000", child=child,
                                    started_on=dt.datetime(2026, 3, 1)), None)
    with pytest.raises(DomainError, match="已有进行中的结对（爱心家长 刘爱心）"):
        create_record(Pairing(caring_parent="王爱心", parent_phone="13700000001", child=child,
                              started_on=dt.datetime(2026, 4, 1)), None)
    before = snapshot(pairing)
    pairing.activities = [PairingActivity(held_on=dt.datetime(2026, 2, 1), content="看电影")]
    with pytest.raises(DomainError, match="不能早于结对日期"):
        update_record(pairing, before, pairing.version, None)
    pairing.activities = [PairingActivity(held_on=dt.datetime(2026, 4, 1), content="一起逛科技馆")]
    update_record(pairing, before, pairing.version, None)
    page = login_as("staff").get(f"/childarchive/details/?id={child.pk}").get_data(as_text=True)
    assert "牵手同行结对" in page and "一起逛科技馆" in page
    assert "彭小北" not in login_as("staff2").get("/pairing/").get_data(as_text=True)


def publicity(townships, names, month, **extra):
    topic = ThemeTag.objects(code="social_assistance").get()
    data = {"title": "社会救助政策宣传", "held_on": dt.datetime(2026, month, 10), "format": "stall", "topics": [topic],
            "townships": [townships[n] for n in names], "audience": "residents", "people_reached": 80}
    data.update(extra)
    return create_record(PublicityActivity(**data), None)


def test_publicity_is_counted_per_month_and_scoped_by_townships(app, client, login_as, townships):
    publicity(townships, ["东江街道", "穿山街道"], 3)
    publicity(townships, ["穿山街道"], 4)
    with pytest.raises(DomainError, match="请选择覆盖的街道/乡镇"):
        publicity(townships, [], 5)
    with pytest.raises(DomainError, match="请选择至少一个宣传主题"):
        publicity(townships, ["东江街道"], 5, topics=[])
    assert topic_months("social_assistance", "2026") == {"2026-03": 1, "2026-04": 1}
    assert topic_months("social_assistance", "2026", [townships["东江街道"].pk]) == {"2026-03": 1}
    page = login_as("staff").get("/publicity/months/?year=2026").get_data(as_text=True)
    assert 'id="publicity-total">1<' in page
    form = {"title": "跨街道宣传", "held_on": "2026-05-10", "format": "stall",
            "topics": [str(ThemeTag.objects(code="anti_fraud").get().pk)],
            "townships": [str(townships["东江街道"].pk), str(townships["穿山街道"].pk)], "audience": "residents",
            "people_reached": "30"}
    page = submit(client, "/publicity/new/", form).get_data(as_text=True)
    assert "只能选择您负责的街道/乡镇" in page and "跨街道宣传" in page
    form["townships"] = [str(townships["东江街道"].pk)]
    assert submit(client, "/publicity/new/", form).status_code == 302


def test_adoption_assessment_is_paid_at_actual_cost(app):
    record = AdoptionAssessment(case_number="SY2026-01", child_alias="儿童A", applicants="张某夫妇",
                                assigned_on=dt.datetime(2026, 3, 1), home_visit_on=dt.datetime(2026, 3, 10),
                                reported_on=dt.datetime(2026, 3, 20))
    with pytest.raises(DomainError, match="出具报告时请填写实际费用"):
        create_record(record, None)
    record.cost_fen = 180000
    assert create_record(record, None).status == "reported"
    with pytest.raises(DomainError, match="评估编号 SY2026-01 已存在"):
        create_record(AdoptionAssessment(case_number="SY2026-01", child_alias="B", applicants="李",
                                         assigned_on=dt.datetime(2026, 4, 1)), None)


def test_media_articles_need_proof_and_tasks_need_a_result(app):
    with pytest.raises(DomainError, match="请填写链接或上传版面截图"):
        create_record(MediaArticle(title="关爱留守儿童", outlet="桂林日报", level="city",
                                   published_on=dt.datetime(2026, 4, 1)), None)
    with pytest.raises(DomainError, match="须以 http:// 或 https:// 开头"):
        create_record(MediaArticle(title="关爱留守儿童", outlet="桂林日报", level="city",
                                   published_on=dt.datetime(2026, 4, 1), link="guilin.example"), None)
    assert create_record(MediaArticle(title="关爱留守儿童", outlet="桂林日报", level="city",
                                      published_on=dt.datetime(2026, 4, 1), link="https://example.org/a"), None).pk
    task = create_record(BureauTask(title="报送季度报表", assigned_by="社会事务科", assigned_on=dt.datetime(2026, 4, 1),
                                    due_on=dt.datetime(2026, 4, 10)), None)
    assert task.overdue
    before = snapshot(task)
    task.completed_on = dt.datetime(2026, 4, 9)
    with pytest.raises(DomainError, match="完成时请填写办理结果"):
        update_record(task, before, task.version, None)
    task.result = "已按时报送"
    update_record(task, before, task.version, None)
    assert BureauTask.objects.get().status == "done" and not BureauTask.objects.get().overdue
