"""The indicator engine against hand-built records with exact expected values,
pace and status at a fixed day, the month close and its differences, the brief
read back from Word, the reports, and bad input."""

import datetime as dt
import io
import itertools

import pytest
from docx import Document
from openpyxl import load_workbook

from models.activities import CommunityEvent
from models.briefs import MonthClose, brief_docx, close_month, draft_brief, month_differences
from models.casework import Case, CaseSession
from models.contracts import current_contract
from models.errors import DomainError
from models.indicators import Indicator, Scope, measure, measure_all
from models.patrols import Patrol
from models.reference import PersonCategory, ThemeTag
from models.services import create_record, snapshot, update_record
from models.staffing import StaffMember
from models.visits import Visit, add_photo
from seeds.loader import read_seed
from tests.workbooks import column, table

from .archive_helpers import make_child, make_elder
from .conftest import submit
from .helpers import png_bytes

TODAY = dt.date(2026, 7, 1)  # day 182 of 365: elapsed share 182/365
SEQUENCES = itertools.count(300)


def contract():
    return current_contract(dt.date(2026, 3, 1))


def indicator(code):
    return Indicator.objects(contract=contract().pk, code=code).get()


def result(code, today=TODAY, townships=None):
    return measure(indicator(code), Scope(contract(), today, townships), 0.8)


def consultation(townships, accounts, sessions=3, hours=2.0, opened=dt.datetime(2026, 3, 1)):
    person = make_elder(townships["东江街道"], sequence=next(SEQUENCES))
    return create_record(Case(case_type="consultation", client=person, worker=accounts["staff"], title="个案",
                              opened_on=opened, sessions=[CaseSession(session_date=opened + dt.timedelta(days=i),
                                                                      hours=hours, content="面谈")
                                                          for i in range(sessions)]), None)


def test_every_seeded_indicator_measures_to_zero_without_records(app):
    measurements = measure_all(contract(), TODAY)
    assert len(measurements) == len(read_seed("indicators.json")["indicators"]) == 31
    assert {m.indicator.code for m in measurements} >= {"visits.home", "cases.consultation", "staffing.rules"}
    media = next(m for m in measurements if m.indicator.code == "media.articles")
    assert (media.achieved, media.target, media.status) == (0, 6, "at_risk")
    assert media.indicator.rule == "市级、省级、国家级媒体采用"


def test_count_indicator_pace_status_and_forecast(app, townships, accounts):
    for _ in range(3):
        consultation(townships, accounts)
    consultation(townships, accounts, sessions=2)  # exactly 2 sessions: does not count
    consultation(townships, accounts, opened=dt.datetime(2026, 8, 1))  # after the day measured
    m = result("cases.consultation")
    assert m.achieved == 3
    assert m.expected == round(24 * 182 / 365, 1) == 12.0
    assert m.forecast == round(3 / (182 / 365), 1) == 6.0
    assert m.status == "at_risk"  # 3 < 0.8 x 12
    assert dict(m.series)["2026-03"] == 3 and dict(m.series)["2026-04"] == 0
    assert m.breakdown == [("东江街道", 3)]
    assert [reason for _, reason in m.near_misses] == ["服务 2 次，须 > 2 次；累计 4 工时，须 > 4 小时"]
    assert Case.objects(__raw__=m.evidence.raw).count() == 3
    for _ in range(7):
        consultation(townships, accounts)
    assert result("cases.consultation").status == "lagging"  # 10 >= 0.8 x 12
    for _ in range(2):
        consultation(townships, accounts)
    assert result("cases.consultation").status == "on_track"  # 12 >= 12
    for _ in range(12):
        consultation(townships, accounts)
    assert result("cases.consultation").status == "met"  # 24


def event(townships, served, day=dt.datetime(2026, 5, 1), themes=()):
    return create_record(CommunityEvent(title="活动", event_date=day, hours=2, place="社区", people_served=served,
                                        township=townships["东江街道"], target_group="residents",
                                        themes=[ThemeTag.objects(code=c).get() for c in themes]), None)


def test_event_sizes_count_at_their_boundaries(app, townships):
    for served in (9, 10, 50, 51, 120):
        event(townships, served)
    assert result("events.large").achieved == 2
    assert result("events.small").achieved == 2
    assert [reason for _, reason in result("events.small").near_misses] == ["服务 9 人，须 10–50 人"]


def test_periodic_patrols_judged_week_by_week(app, townships, accounts):
    # the contract starts on Thursday 2026-01-01 (ISO week 2026-W01); measured up to Sunday 2026-01-18 (W03)
    def patrol(day):
        create_record(Patrol(patrol_date=dt.datetime(2026, 1, day), start_time="19:00", end_time="20:00",
                             township=townships["东江街道"], places="路口", staff=[accounts["staff"]]), None)

    for day in (1, 2, 6, 7, 14):  # W01: 2, W02: 2, W03: 1
        patrol(day)
    m = result("patrols.weekly", today=dt.date(2026, 1, 18))
    assert [(i["key"], i["count"], i["done"]) for i in m.items] == [("2026-W01", 2, True), ("2026-W02", 2, True),
                                                                    ("2026-W03", 1, False)]
    assert m.items[0]["label"] == "第1周（12月29日—1月4日）"
    assert m.achieved == round(2 * 100 / 3, 1) == 66.7
    assert m.status == "at_risk"  # the target is every week: 66.7 < 0.8 x 100
    assert m.counted == m.evidence.count() == 5  # the patrols, listed as evidence
    assert dict(m.series)["2026-01"] == 66.7  # the chart shows the share of weeks met, in the indicator's unit


def test_coverage_of_monthly_elderly_visits(app, townships, accounts):
    oldest = PersonCategory.objects(code="oldest_old").get()
    people = [make_elder(townships["东江街道"], name=f"老人{i}", sequence=400 + i, categories=[oldest],
                         archive_date=dt.datetime(2025, 12, 1)) for i in range(4)]

    def visit(person, day):
        record = Visit(people=[person], visited_at=dt.datetime(2026, 1, day, 10), mode="home", contact="made",
                       township=person.township)
        add_photo(record, png_bytes(color=(day, 1, 1)), "p.png", 5 * 1024 * 1024)
        create_record(record, accounts["staff"])

    for person in people[:3]:
        visit(person, 10)  # January: 3 of 4
    m = result("visits.elderly_monthly", today=dt.date(2026, 2, 15))
    january = next(i for i in m.items if i["key"] == "2026-01")
    assert (january["due"], january["visited"]) == (4, 3)
    assert m.achieved == 75.0  # only January has ended
    assert m.status == "at_risk"
    assert len(m.near_misses) == 1 and m.near_misses[0][1] == "1月 未探访"
    assert m.counted == m.evidence.count() == 3 and m.evidence.part(january["part"]).count() == 3
    assert dict(m.series)["2026-01"] == 75.0


def test_ratio_of_subsidy_quality_checks(app, accounts):
    from models.subsidy import SpotCheck, draw_sample, import_subsidy_file

    from .test_subsidy import services, workbook

    import_subsidy_file("service", workbook("service", services(20)), "s.xlsx", accounts["coordinator"])
    draw_sample("service", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 0.2, 3, [accounts["coordinator"]],
                accounts["coordinator"])
    assert result("subsidy.quality_check").achieved == 0.0
    for check in list(SpotCheck.objects)[:3]:
        before = snapshot(check)
        check.checked_on, check.method, check.findings, check.satisfaction = dt.datetime(2026, 4, 1), "phone", ["none"], 5
        update_record(check, before, check.version, accounts["coordinator"])
    m = result("subsidy.quality_check")
    assert m.achieved == 15.0 and m.status == "at_risk"
    check = list(SpotCheck.objects(checked_on=None))[0]
    before = snapshot(check)
    check.checked_on, check.method, check.findings, check.satisfaction = dt.datetime(2026, 4, 1), "phone", ["none"], 4
    update_record(check, before, check.version, accounts["coordinator"])
    assert result("subsidy.quality_check").achieved == 20.0 and result("subsidy.quality_check").status == "met"


def test_checklist_of_elderly_festivals_counts_events_and_publicity(app, townships):
    from models.publicity import PublicityActivity

    event(townships, 30, dt.datetime(2026, 2, 17), themes=["spring_festival"])
    event(townships, 30, dt.datetime(2026, 6, 19), themes=["dragon_boat", "spring_festival"])
    create_record(PublicityActivity(title="学雷锋宣传", held_on=dt.datetime(2026, 3, 5), format="stall",
                                    topics=[ThemeTag.objects(code="lei_feng_month").get()],
                                    townships=[townships["东江街道"]], audience="elderly", people_reached=40), None)
    m = result("elderly.festivals")
    assert [(i["label"], i["count"], i["done"]) for i in m.items] == [
        ("春节", 2, True), ("学雷锋月", 1, True), ("端午节", 1, True), ("中秋节", 0, False), ("重阳节", 0, False)]
    assert m.achieved == 3 and m.target == 5
    assert m.expected == round(5 * 182 / 365, 1) == 2.5
    assert m.status == "on_track"


def test_rule_indicator_for_staffing(app):
    for i, (sex, employment, rescue) in enumerate([("男", "full_time", True), ("女", "full_time", True),
                                                   ("女", "full_time", False), ("女", "full_time", False),
                                                   ("女", "part_time", False)]):
        create_record(StaffMember(name=f"员工{i}", sex=sex, employment=employment, education="bachelor",
                                  major_field="social_work", post="社工", street_rescue=rescue,
                                  started_on=dt.datetime(2026, 1, 1)), None)
    m = result("staffing.rules")
    assert m.achieved == 80.0  # 4 of 5 rules: only 5 staff of the 6 required
    assert [(i["label"], i["done"]) for i in m.items if not i["done"]] == [("工作人员总数", False)]


def test_month_close_freezes_figures_and_shows_later_differences(app, townships, accounts):
    for _ in range(2):
        consultation(townships, accounts)
    closed = close_month(contract(), "2026-03", accounts["coordinator"], today=dt.date(2026, 4, 10))
    frozen = next(f for f in closed.figures if f.code == "cases.consultation")
    assert (frozen.month_value, frozen.achieved) == (2, 2)
    assert closed.closed_by == "李主管" and closed.closed_at
    with pytest.raises(DomainError, match="2026年3月已经关账，不能重复关账"):
        close_month(contract(), "2026-03", accounts["coordinator"], today=dt.date(2026, 4, 10))
    with pytest.raises(DomainError, match="尚未结束"):
        close_month(contract(), "2026-04", accounts["coordinator"], today=dt.date(2026, 4, 10))
    assert MonthClose.objects.count() == 1
    assert month_differences(closed) == []
    consultation(townships, accounts, opened=dt.datetime(2026, 3, 20))  # entered late, for March
    changes = month_differences(MonthClose.objects.get())
    change = next(c for c in changes if c["code"] == "cases.consultation")
    assert (change["frozen_month"], change["current_month"], change["delta"]) == (2, 3, 1)


def test_month_close_page_for_the_coordinator(app, client, login_as, townships, accounts):
    consultation(townships, accounts)
    login_as("coordinator")
    response = submit(client, "/indicators/close/", {"month": "2026-03"})
    assert response.status_code == 302
    page = client.get("/indicators/close/?month=2026-03").get_data(as_text=True)
    assert "已关账" in page and "关账后数据没有变化" in page and "李主管" in page
    again = submit(client, "/indicators/close/", {"month": "2026-03"}, follow_redirects=True).get_data(as_text=True)
    assert "2026年3月已经关账，不能重复关账" in again
    login_as("manager")
    assert client.post("/indicators/close/", data={"month": "2026-04"}).status_code == 403


def test_brief_docx_holds_the_months_figures(app, client, login_as, townships, accounts):
    for _ in range(3):
        consultation(townships, accounts)
    brief = draft_brief(contract(), "2026-03", accounts["coordinator"])
    assert brief.issue_number == 1 and "咨询个案 3" in brief.highlights
    document = Document(io.BytesIO(brief_docx(brief)))
    rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert rows[0] == ["指标", "当月", "累计完成", "全年目标", "完成率", "状态"]
    assert ["咨询个案", "3 个", "3 个", "24 个", "12.5%", "风险"] in rows
    text = "\n".join(p.text for p in document.paragraphs)
    assert "第 1 期（2026年3月）" in text and "二、工作亮点" in text
    second = draft_brief(contract(), "2026-04", accounts["coordinator"])
    assert second.issue_number == 2
    login_as("coordinator")
    download = client.get(f"/brief/docx/?id={brief.pk}")
    assert download.status_code == 200 and download.data[:2] == b"PK"


def test_briefs_count_when_issued_and_case_text_is_de_identified(app, townships, accounts):
    brief = draft_brief(contract(), "2026-03", accounts["coordinator"])
    assert result("briefs.monthly", today=dt.date(2026, 4, 5)).achieved == 0
    make_elder(townships["东江街道"], name="欧阳晓梅", sequence=501)
    before = snapshot(brief)
    brief.status = "issued"
    brief.sender = ""
    with pytest.raises(DomainError, match="签发前请填写编发单位"):
        update_record(brief, before, brief.version, accounts["coordinator"])
    brief.sender = "七星区某社会工作服务中心"
    brief.next_plan = "继续开展探访"
    brief.highlights = "完成入户探访"
    brief.typical_case = "社工多次探访欧阳晓梅，链接医疗资源。"
    with pytest.raises(DomainError, match="出现了服务对象的真实姓名"):
        update_record(brief, before, brief.version, accounts["coordinator"])
    brief.typical_case = "社工多次探访欧阳某，链接医疗资源。"
    update_record(brief, before, brief.version, accounts["coordinator"])
    m = result("briefs.monthly", today=dt.date(2026, 4, 5))
    assert m.achieved == 1
    assert [(i["key"], i["done"]) for i in m.items[:4]] == [("2026-01", False), ("2026-02", False),
                                                             ("2026-03", True), ("2026-04", False)]


def test_indicator_targets_are_edited_with_audit_and_checked(app, client, login_as):
    from models.audit import AuditEntry

    target = indicator("media.articles")
    with pytest.raises(DomainError, match="目标值必须大于 0"):
        before = snapshot(target)
        target.target = 0
        update_record(target, before, target.version, None)
    target = indicator("media.articles")
    login_as("admin")
    form = {"contract": str(contract().pk), "code": "media.articles", "name": target.name, "area": target.area,
            "kind": target.kind, "op": ">=", "target": "-3", "unit": "篇", "section": target.section,
            "rule": target.rule, "params": target.params, "sort_order": str(target.sort_order),
            "record_version": str(target.version)}
    url = f"/indicator/edit/?id={target.pk}"
    page = submit(client, url, form, post_url=url).get_data(as_text=True)
    assert "目标值必须大于 0" in page
    form["target"] = "8"
    assert submit(client, url, form, post_url=url).status_code == 302
    assert indicator("media.articles").target == 8
    change = AuditEntry.objects(collection="indicators", action="update").get().changes[0]
    assert (change.label, change.old, change.new) == ("目标值", "6", "8")  # a whole target without a trailing .0
    assert login_as("coordinator").get(url).status_code == 403


def test_reports_for_the_bureau(app, client, login_as, townships, accounts):
    consultation(townships, accounts)
    login_as("manager")
    overview = client.get("/indicators/").get_data(as_text=True)
    assert "咨询个案" in overview and "指标总览" in overview
    detail = client.get("/indicators/show/cases.consultation/").get_data(as_text=True)
    assert "计入的记录（1 条）" in detail and "echarts.min.js" in detail
    workbook = load_workbook(io.BytesIO(client.get("/indicators/report/").data))
    indicators = len(read_seed("indicators.json")["indicators"])
    assert workbook.sheetnames[0] == "指标完成情况" and len(workbook.sheetnames) == indicators + 1
    rows = {r["指标"]: r for r in table(workbook["指标完成情况"])}
    assert rows["咨询个案"]["完成"] == 1
    evidence = next(name for name in workbook.sheetnames if "咨询个案" in name)
    assert len(table(workbook[evidence])) == 1
    summary = Document(io.BytesIO(client.get("/indicators/summary/").data))
    assert "年度工作总结" in summary.paragraphs[0].text
    exports = client.get("/indicators/townships/").get_data(as_text=True)
    link = f"/archive/export/xlsx/?flt0_township_equals={townships['东江街道'].pk}"
    assert link in exports.replace("&amp;", "&")
    make_child(townships["穿山街道"], name="穿山娃", sequence=990)
    sheet = load_workbook(io.BytesIO(client.get(link).data)).worksheets[0]
    names = column(sheet, "姓名")
    assert names and "穿山娃" not in names
    assert client.get("/indicators/").status_code == 200
    login_as("staff")
    assert client.get("/indicators/report/").status_code == 403
