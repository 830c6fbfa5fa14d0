"""The monthly brief and the year-end summary as drafts a coordinator edits and then
签发 (issues): the issued Word file read back (python-docx) carries every indicator's
figure as the indicator engine measures it, downloads byte for byte the same after the
data change, a correction is a new version with the old one kept; 重新生成 keeps what
the worker edited; a 社工 may not issue; the issued summary is the contract's 总结材料.
Cases are generated over the indicators (measure_all), the sections of each kind of
draft, and the POST routes of the draft views (the url map)."""

import datetime as dt
import hashlib
import io
import re

import pytest
from docx import Document

from models.briefs import (
    SUMMARY_SECTIONS,
    Brief,
    IssuedReport,
    YearSummary,
    amount_text,
    brief_sections,
    share_text,
    summary_sections,
    unit_of,
)
from models.casework import Case, CaseSession
from models.clock import local_today
from models.contracts import current_contract
from models.indicators import measure_all, month_end
from models.services import create_record, void_record
from models.visits import add_photo
from views.reports import ReportDraftView

from .archive_helpers import make_child, make_elder
from .conftest import csrf_token
from .helpers import png_bytes
from .test_reports_docx import (
    ORGANISATION,
    _has_page_number,
    _headings,
    _page_figures,
    _records,
    _table,
    _text,
)
from .test_visits import record_visit

BRIEF_HEADINGS = ["一、主要数据", "二、工作亮点", "三、典型案例", "四、存在问题", "五、下月计划"]
KINDS = {"brief": Brief, "summary": YearSummary}
ENDPOINTS = {"brief": "brief", "summary": "yearsummary"}


@pytest.fixture
def office(app, townships, accounts):
    """The month's records, and the contract naming its organisation."""
    _records(townships, accounts)
    contract = current_contract()
    contract.update(set__provider=ORGANISATION)
    return townships


def _draft(client, kind: str):
    """Draft a brief (this month) or the summary through its page; the draft made."""
    base = f"/{ENDPOINTS[kind]}/"
    data = {"csrf_token": csrf_token(client, base)}
    if kind == "brief":
        data["month"] = local_today().strftime("%Y-%m")
    response = client.post(f"{base}draft/", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return KINDS[kind].objects.order_by("-id").first()


def _post(client, kind: str, action: str, record, version=None):
    base = f"/{ENDPOINTS[kind]}/"
    token = csrf_token(client, f"{base}details/?id={record.pk}")
    return client.post(f"{base}{action}/", data={"csrf_token": token, "id": str(record.pk),
                                                 "version": str(record.version if version is None else version)},
                       follow_redirects=True)


def _issued(record) -> list[IssuedReport]:
    return list(IssuedReport.objects(**{record.kind: record.pk}).order_by("edition"))


def _measured(code: str, day: dt.date | None = None):
    return next(m for m in measure_all(current_contract(), day or local_today()) if m.indicator.code == code)


def _download(client, report) -> bytes:
    response = client.get(f"/issuedreport/download/?id={report.pk}")
    assert response.status_code == 200
    return response.data


def test_the_issued_brief_reads_back_with_every_figure_the_engine_measures(app, office, login_as):
    client = login_as("coordinator")
    brief = _draft(client, "brief")
    last_day = min(month_end(brief.month), local_today())
    measured = measure_all(current_contract(), last_day)  # as the coordinator reviewed them
    page = _post(client, "brief", "issue", brief).get_data(as_text=True)
    assert "已签发第 1 版" in page and 'id="issued-versions"' in page
    (report,) = _issued(brief)
    data = _download(client, report)
    assert hashlib.sha256(data).hexdigest() == report.sha256
    document = Document(io.BytesIO(data))
    text = _text(document)
    assert _headings(document) == BRIEF_HEADINGS and _has_page_number(document)
    assert ORGANISATION in text and f"第 {brief.issue_number} 期" in text and "请填写" not in text
    rows = {row["指标"]: row for row in _table(document)}
    assert len(rows) == len(measured)
    problems = []
    for m in measured:
        unit, row = unit_of(m.indicator), rows[m.indicator.name]
        expected = {"累计完成": amount_text(m.achieved, unit), "全年目标": amount_text(m.target, unit),
                    "完成率": share_text(m.achieved, m.target)}
        problems += [f"{m.indicator.name} {k}: {row[k]!r} != {v!r}" for k, v in expected.items() if row[k] != v]
    assert problems == [], "\n".join(problems)
    assert "本月指定对象入户探访 4 次，累计 4 次，完成全年目标的 0.8%" in text
    # issued, the brief counts for 工作简报 (its own table says the figures it was issued with)
    assert rows["工作简报"]["累计完成"] == "0 期" and _measured("briefs.monthly", last_day).achieved == 1


def test_the_issued_summary_reads_back_with_the_indicator_pages_figures(app, office, login_as):
    client = login_as("coordinator")
    summary = _draft(client, "summary")
    page = _page_figures(client.get("/indicators/").get_data(as_text=True))  # as the coordinator reviewed it
    measured = measure_all(current_contract(), local_today())
    _post(client, "summary", "issue", summary)
    (report,) = _issued(summary)
    document = Document(io.BytesIO(_download(client, report)))
    assert _headings(document) == list(SUMMARY_SECTIONS) and _has_page_number(document)
    text = _text(document)
    assert "年度工作总结" in text and ORGANISATION in text and "请填写" not in text
    rows = {row["指标"]: row for row in _table(document)}
    assert len(rows) == len(measured) == len(page)
    problems = []
    for m in measured:
        unit, row = unit_of(m.indicator), rows[m.indicator.name]
        if row["完成"] != amount_text(m.achieved, unit) or row["完成"].replace(" ", "") != \
                page[m.indicator.code].replace(" ", ""):
            problems.append(f"{m.indicator.name}: {row['完成']!r}, page {page[m.indicator.code]!r}")
        if row["目标"] != m.target_text() or row["完成率"] != share_text(m.achieved, m.target):
            problems.append(f"{m.indicator.name}: {row}")
    assert problems == [], "\n".join(problems)
    # issued with the figures as they stood before it counted itself; the page counts it now
    after = _page_figures(client.get("/indicators/").get_data(as_text=True))
    assert rows["总结材料"]["完成"] == "0 份" and after["reports.year_summary"].replace(" ", "") == "1份"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_issued_file_is_kept_unchanged_and_a_correction_is_a_new_version(app, office, login_as, townships, kind):
    client = login_as("coordinator")
    record = _draft(client, kind)
    _post(client, kind, "issue", record)
    (first,) = _issued(record)
    before = _download(client, first)
    for sequence in range(3):  # the data change after issue
        child = make_child(townships["东江街道"], name=f"新增{sequence}", sequence=800 + sequence, risk_level="1")
        record_visit(child, dt.datetime.combine(local_today().replace(day=1), dt.time(0, 2)), color=(9, sequence, 9))
    assert _download(client, first) == before
    again = _post(client, kind, "issue", KINDS[kind].objects.get(pk=record.pk)).get_data(as_text=True)
    assert "无需重新签发" in again and len(_issued(record)) == 1  # nothing changed in the draft
    record = KINDS[kind].objects.get(pk=record.pk)
    _post(client, kind, "regenerate", record)
    page = _post(client, kind, "issue", KINDS[kind].objects.get(pk=record.pk)).get_data(as_text=True)
    assert "已签发第 2 版" in page
    first_again, second = _issued(record)
    assert _download(client, first_again) == before and _download(client, second) != before
    assert "第 1 版" in page and "第 2 版" in page and second.filename.endswith("（第2版）.docx")
    visits = "指定对象入户探访 7 次" if kind == "brief" else "累计 7 次"
    assert visits in _text(Document(io.BytesIO(_download(client, second))))
    assert visits not in _text(Document(io.BytesIO(before)))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_regenerating_keeps_each_edited_section_and_refreshes_the_others(app, office, login_as, townships, kind):
    client = login_as("coordinator")
    draft = _draft(client, kind)
    fields = [field for field, _ in KINDS[kind].sections]
    for index, edited in enumerate(fields):
        record = KINDS[kind].objects.get(pk=draft.pk)
        record.update(**{f"set__{edited}": f"社工修改的文字{index}"})
        record.reload()
        # the data change between: one more counted visit
        child = make_child(townships["东江街道"], name=f"再探{index}", sequence=950 + index, risk_level="1")
        record_visit(child, dt.datetime.combine(local_today().replace(day=1), dt.time(0, 3)), color=(index, 7, 7))
        page = _post(client, kind, "regenerate", record).get_data(as_text=True)
        label = dict(KINDS[kind].sections)[edited]
        assert "保留了您的文字" in page and label in page.split("保留了您的文字")[1][:200]
        record.reload()
        fresh = brief_sections(KINDS[kind].objects.get(pk=record.pk)) if kind == "brief" else \
            summary_sections(KINDS[kind].objects.get(pk=record.pk))
        assert getattr(record, edited) == f"社工修改的文字{index}"
        for other in fields:
            if other != edited and not getattr(record, other).startswith("社工修改的文字"):
                assert getattr(record, other) == fresh[other], other
        assert {g.field: g.text for g in record.generated}[edited] == fresh[edited]


def _post_routes(app) -> list[tuple[str, str]]:
    """Every POST route of the draft views: (endpoint, path)."""
    views = {v.endpoint: v for v in app.extensions["admin"][0]._views if isinstance(v, ReportDraftView)}
    return [(rule.endpoint, rule.rule) for rule in app.url_map.iter_rules()
            if rule.endpoint.partition(".")[0] in views and "POST" in rule.methods
            and rule.endpoint.rpartition(".")[2] in ("draft_view", "regenerate_view", "issue_view")]


@pytest.mark.parametrize("role", ["staff", "manager"])
def test_only_a_coordinator_drafts_regenerates_and_issues(app, office, login_as, accounts, role):
    coordinator = login_as("coordinator")
    drafts = {"brief": _draft(coordinator, "brief"), "yearsummary": _draft(coordinator, "summary")}
    client = login_as(role)
    routes = _post_routes(app)
    assert len(routes) == 6
    for endpoint, path in routes:
        record = drafts[endpoint.partition(".")[0]]
        token = csrf_token(client, "/account/password")
        response = client.post(path, data={"csrf_token": token, "id": str(record.pk), "version": str(record.version),
                                           "month": local_today().strftime("%Y-%m")})
        assert response.status_code == 403, (endpoint, response.status_code)
    assert IssuedReport.objects.count() == 0
    assert Brief.objects.count() == 1 and YearSummary.objects.count() == 1
    assert all(d.reload() or d.status == "draft" for d in drafts.values())
    page = client.get(f"/brief/details/?id={drafts['brief'].pk}").get_data(as_text=True)
    assert 'id="issue-form"' not in page and 'id="regenerate-form"' not in page


def test_the_issued_summary_counts_as_the_contracts_summary_material(app, office, login_as):
    client = login_as("coordinator")
    assert _measured("reports.year_summary").achieved == 0
    summary = _draft(client, "summary")
    assert _measured("reports.year_summary").achieved == 0  # a draft does not count
    _post(client, "summary", "issue", summary)
    m = _measured("reports.year_summary")
    assert m.achieved == 1 and m.status == "met"
    detail = client.get("/indicators/show/reports.year_summary/").get_data(as_text=True)
    evidence = re.findall(r'href="(/yearsummary/details/\?id=[0-9a-f]{24})[^"]*"', detail.split('id="evidence"')[1])
    assert evidence == [f"/yearsummary/details/?id={summary.pk}"] and "计入的记录（1 条" in detail
    assert client.get(evidence[0]).status_code == 200
    void_record(YearSummary.objects.get(pk=summary.pk), "重复起草", None)
    assert _measured("reports.year_summary").achieved == 0


def test_a_stale_version_or_an_empty_required_section_is_refused_in_chinese(app, office, login_as):
    client = login_as("coordinator")
    brief = _draft(client, "brief")
    page = _post(client, "brief", "issue", brief, version=brief.version - 1 or 99).get_data(as_text=True)
    assert "已被他人修改" in page and IssuedReport.objects.count() == 0
    brief.update(set__next_plan="   ", set__highlights="社工写的亮点")
    brief.reload()
    page = _post(client, "brief", "issue", brief).get_data(as_text=True)
    assert "签发前请填写下月计划" in page and IssuedReport.objects.count() == 0
    brief.reload()
    assert brief.status == "draft" and brief.highlights == "社工写的亮点"
    summary = _draft(client, "summary")
    for field, label in YearSummary.sections:
        if field not in YearSummary.required_sections:
            continue
        record = YearSummary.objects.get(pk=summary.pk)
        kept = {f: getattr(record, f) for f, _ in YearSummary.sections}
        record.update(**{f"set__{field}": ""})
        record.reload()
        page = _post(client, "summary", "issue", record).get_data(as_text=True)
        assert f"签发前请填写{label}" in page and IssuedReport.objects.count() == 0
        record.reload()
        assert record.status == "draft"
        assert all(getattr(record, f) == v for f, v in kept.items() if f != field)
        record.update(**{f"set__{field}": kept[field]})
    # the edit form: a stale version keeps what was typed
    record = Brief.objects.get(pk=brief.pk)
    token = csrf_token(client, f"/brief/edit/?id={record.pk}")
    form = {"csrf_token": token, "title": record.title, "issue_number": str(record.issue_number),
            "sender": ORGANISATION, "sent_on": record.sent_on.strftime("%Y-%m-%d"),
            "highlights": "刚刚写下的亮点文字", "next_plan": "下月计划", "record_version": str(record.version - 1 or 99)}
    page = client.post(f"/brief/edit/?id={record.pk}", data=form).get_data(as_text=True)
    assert "已被他人修改" in page and "刚刚写下的亮点文字" in page


def test_the_typical_case_comes_from_a_closed_case_and_photos_from_events_with_photos(app, office, login_as,
                                                                                        townships, accounts):
    from models.activities import CommunityEvent

    client = login_as("coordinator")
    brief = _draft(client, "brief")
    first = dt.datetime.combine(local_today().replace(day=1), dt.time())
    person = make_elder(townships["东江街道"], name="韦秀兰", sequence=990)
    case = create_record(Case(case_type="consultation", client=person, worker=accounts["staff"], title="韦秀兰个案",
                              opened_on=first, sessions=[CaseSession(session_date=first, hours=2.0, content="面谈")
                                                         for _ in range(3)]), None)
    token = csrf_token(client, f"/brief/edit/?id={brief.pk}")
    form = {"csrf_token": token, "title": brief.title, "issue_number": str(brief.issue_number), "sender": ORGANISATION,
            "sent_on": brief.sent_on.strftime("%Y-%m-%d"), "highlights": brief.highlights,
            "next_plan": brief.next_plan, "typical_source": str(case.pk), "typical_case": "王某（化名）的情况好转。",
            "record_version": str(brief.version)}
    page = client.post(f"/brief/edit/?id={brief.pk}", data=form).get_data(as_text=True)
    assert "典型案例只能从已结案的个案中选取" in page and "王某（化名）的情况好转。" in page
    case.update(set__closed_on=first)
    form["typical_case"] = "韦秀兰的情况好转。"
    page = client.post(f"/brief/edit/?id={brief.pk}", data=form).get_data(as_text=True)
    assert "真实姓名" in page
    form["typical_case"] = ""
    assert client.post(f"/brief/edit/?id={brief.pk}", data=form).status_code == 302
    brief.reload()
    _post(client, "brief", "regenerate", brief)
    brief.reload()
    assert brief.typical_case.startswith("咨询个案") and "韦秀兰" not in brief.typical_case
    assert "共服务 3 次，累计 6 小时" in brief.typical_case

    bare = create_record(CommunityEvent(title="无照片活动", event_date=first, hours=2, place="社区", people_served=12,
                                        township=townships["东江街道"], target_group="residents"), None)
    photographed = CommunityEvent(title="六一游园会", event_date=first, hours=2, place="社区", people_served=30,
                                  township=townships["东江街道"], target_group="children")
    add_photo(photographed, png_bytes(color=(40, 90, 160)), "p.png", 5 * 1024 * 1024)
    photographed = create_record(photographed, None)
    form.update(csrf_token=csrf_token(client, f"/brief/edit/?id={brief.pk}"), record_version=str(brief.version),
                typical_case=brief.typical_case, photo_events=[str(bare.pk)])
    page = client.post(f"/brief/edit/?id={brief.pk}", data=form).get_data(as_text=True)
    assert "没有照片" in page
    form["photo_events"] = [str(photographed.pk)]
    assert client.post(f"/brief/edit/?id={brief.pk}", data=form).status_code == 302
    _post(client, "brief", "issue", Brief.objects.get(pk=brief.pk))
    (report,) = _issued(brief)
    document = Document(io.BytesIO(_download(client, report)))
    assert len(document.inline_shapes) == 1 and "六一游园会" in _text(document)
