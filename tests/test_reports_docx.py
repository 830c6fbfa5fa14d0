"""The monthly brief and the year-end summary read back (python-docx) as a bureau
expects them: the sections in order, every figure with its unit (次/场/人/%), the
organisation's name from the contract (never a placeholder), a page number in the
footer, and figures equal to what the indicator page shows. The cases are every
indicator of the seeded contract (measure_all), not hand-picked ones."""

import datetime as dt
import io
import re

from docx import Document

from models.briefs import (
    SUMMARY_SECTIONS,
    amount_text,
    brief_docx,
    draft_brief,
    share_text,
    unit_of,
)
from models.casework import Case, CaseSession
from models.clock import local_today
from models.contracts import current_contract
from models.indicators import measure_all, month_end
from models.services import create_record
from seeds.loader import read_seed

from .archive_helpers import make_child, make_elder
from .test_visits import record_visit

ORGANISATION = "七星区同心社会工作服务中心"


def _text(document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


def _headings(document) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]


def _table(document, index=0) -> list[dict]:
    rows = [[cell.text for cell in row.cells] for row in document.tables[index].rows]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _has_page_number(document) -> bool:
    footer = document.sections[0].footer._element.xml
    return "PAGE" in footer and "fldChar" in footer


def _page_figures(html: str) -> dict[str, str]:
    """The 完成 column of the indicator overview, by indicator code."""
    return {code.replace("-", "."): re.sub(r"<[^>]+>", "", value).strip() for code, value in
            re.findall(r'id="indicator-([a-z_-]+)".*?<td class="achieved">(.*?)</td>', html, re.S)}


def _records(townships, accounts):
    """This month: 3 consultation cases (3 sessions each, on the 1st) and 4 counted home visits."""
    first = dt.datetime.combine(local_today().replace(day=1), dt.time())
    for sequence in range(3):
        person = make_elder(townships["东江街道"], sequence=720 + sequence)
        create_record(Case(case_type="consultation", client=person, worker=accounts["staff"], title="个案",
                           opened_on=first, sessions=[CaseSession(session_date=first, hours=2.0, content="面谈")
                                                      for _ in range(3)]), None)
    for sequence in range(4):
        child = make_child(townships["东江街道"], name=f"探访{sequence}", sequence=700 + sequence, risk_level="1")
        record_visit(child, first.replace(hour=0, minute=1), color=(sequence, 2, 3))


def _unit_ok(text: str) -> bool:
    """A figure cell says its unit: 3 个, 12.5%, — (none)."""
    return text == "—" or text.endswith("%") or bool(re.fullmatch(r"-?[\d.]+ \S+", text))


def test_the_year_end_summary_has_its_sections_and_the_indicator_pages_figures(app, login_as, townships, accounts):
    _records(townships, accounts)
    contract = current_contract()
    contract.update(set__provider=ORGANISATION)
    client = login_as("manager")
    page = _page_figures(client.get("/indicators/").get_data(as_text=True))
    response = client.get("/indicators/summary/")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.data))
    assert _headings(document) == list(SUMMARY_SECTIONS)
    text = _text(document)
    assert "年度工作总结" in text and ORGANISATION in text and "请填写" not in text
    assert _has_page_number(document)
    measurements = measure_all(current_contract(), local_today())
    assert len(page) == len(measurements) == len(read_seed("indicators.json")["indicators"])
    rows = {row["指标"]: row for row in _table(document)}
    month = local_today().strftime("%Y-%m")
    problems = []
    for m in measurements:
        unit, row = unit_of(m.indicator), rows[m.indicator.name]
        shown = page[m.indicator.code]
        if row["完成"] != amount_text(m.achieved, unit) or row["完成"].replace(" ", "") != shown.replace(" ", ""):
            problems.append(f"{m.indicator.name}: summary {row['完成']!r}, page {shown!r}")
        if row["完成率"] != share_text(m.achieved, m.target) or not _unit_ok(row["完成"]):
            problems.append(f"{m.indicator.name}: {row}")
        if unit != "%":
            monthly = dict(m.series).get(month) or 0
            sentence = (f"本月{m.indicator.name} {amount_text(monthly, unit)}，累计 {amount_text(m.achieved, unit)}，"
                        f"完成全年目标的 {share_text(m.achieved, m.target)}")
            if sentence not in text:
                problems.append(f"{m.indicator.name}: no sentence {sentence!r}")
    assert problems == [], "\n".join(problems)
    visits = next(m for m in measurements if m.indicator.code == "visits.home")
    assert visits.achieved == 4 and "本月指定对象入户探访 4 次，累计 4 次，完成全年目标的 0.8%" in text


def test_the_brief_says_every_figure_with_its_unit_in_a_government_layout(app, townships, accounts):
    _records(townships, accounts)
    contract = current_contract()
    month = local_today().strftime("%Y-%m")
    draft = draft_brief(contract, month, accounts["coordinator"])
    assert draft.sender == ""  # the seeded contract names no organisation: nothing is made up
    document = Document(io.BytesIO(brief_docx(draft)))
    assert "请填写" not in _text(document)

    contract.update(set__provider=ORGANISATION)
    contract.reload()
    brief = draft_brief(contract, month, accounts["coordinator"])
    assert brief.sender == ORGANISATION and brief.issue_number == draft.issue_number + 1
    document = Document(io.BytesIO(brief_docx(brief)))
    text = _text(document)
    assert ORGANISATION in text and f"第 {brief.issue_number} 期" in text
    assert _headings(document) == ["一、主要数据", "二、工作亮点", "三、典型案例", "四、存在问题", "五、下月计划"]
    assert _has_page_number(document)
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    last_day = min(month_end(month), local_today())
    measured = {m.indicator.name: m for m in measure_all(contract, last_day)}
    rows = _table(document)
    assert len(rows) == len(measured)
    problems = []
    for row in rows:
        m = measured[row["指标"]]
        unit = unit_of(m.indicator)
        for column in ("当月", "累计完成", "全年目标"):
            if not _unit_ok(row[column]):
                problems.append(f"{row['指标']} {column}: {row[column]!r} without its unit")
        if row["累计完成"] != amount_text(m.achieved, unit) or row["全年目标"] != amount_text(m.target, unit):
            problems.append(f"{row['指标']}: {row} against {m.achieved} / {m.target}")
    assert problems == [], "\n".join(problems)
    assert "本月指定对象入户探访 4 次，累计 4 次，完成全年目标的 0.8%" in text
    assert "本月咨询个案 3 个，累计 3 个，完成全年目标的 12.5%" in brief.highlights
