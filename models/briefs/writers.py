"""The reports as files: a brief and a year-end summary as Word documents in the layout of
a government document, and the indicator workbook for the bureau (the table, then one
evidence sheet per indicator)."""

import datetime as dt
import re

from ..base import ref_id
from ..contracts import Contract
from ..documents import GovernmentDocument, chinese_date
from ..indicator_terms import AREAS, OPERATOR_SIGNS, PERCENT_KINDS, STATUS_LABELS
from ..indicators.document import Indicator, unit_of
from ..indicators.engine import Measurement, measure_all
from ..periods import period_label
from ..reference import Township
from ..spreadsheets import DATE, NUMBER, PERCENT, Column, Sheet, TitleBlock, Value, write_workbook
from .reports import (
    SUMMARY_SECTIONS,
    Brief,
    YearSummary,
    amount_text,
    organisation_name,
    share_text,
)
from .sections import figure_sentence


def _units(figures, contract) -> dict:
    """Units of figures frozen before units were kept, from the contract's indicators."""
    if all(f.unit is not None for f in figures):
        return {}
    return {i.code: unit_of(i) for i in Indicator.objects(contract=ref_id(contract)).only("code", "kind", "unit")}


def brief_docx(brief: Brief) -> bytes:
    """The brief as a Word document in the layout of a government brief: masthead with
    the issue and date, the month's figures as sentences and a table (each figure with
    its unit), then the edited sections with the chosen photos."""
    document = GovernmentDocument()
    sender = organisation_name(brief.sender) or ""
    document.masthead(brief.title, f"第 {brief.issue_number} 期（{period_label('month', brief.month, with_year=True)}）", sender,
                      chinese_date(brief.sent_on))
    units = _units(brief.figures, brief._data.get("contract"))
    figures = [(f, f.unit if f.unit is not None else units.get(f.code, "")) for f in brief.figures]
    document.heading("一、主要数据")
    sentences = [figure_sentence(f.name, unit, f.month_value, f.achieved, f.target) for f, unit in figures
                 if f.month_value]
    document.body("；".join(sentences) + "。" if sentences else "本月暂无新增计入指标的记录。")
    document.table(["指标", "当月", "累计完成", "全年目标", "完成率", "状态"],
                   [[f.name, amount_text(f.month_value, unit), amount_text(f.achieved, unit),
                     amount_text(f.target, unit), share_text(f.achieved, f.target), STATUS_LABELS.get(f.status, "")]
                    for f, unit in figures], widths_cm=[5.2, 2.2, 2.4, 2.4, 2, 1.4])
    sections = (("二、工作亮点", brief.highlights), ("三、典型案例", brief.typical_case), ("四、存在问题", brief.problems),
                ("五、下月计划", brief.next_plan))
    for title, text in sections:
        document.heading(title)
        document.body(text if (text or "").strip() else "本月无。")
        if title == "二、工作亮点":
            _pictures(document, brief.photo_events)
    document.signature(sender, chinese_date(brief.sent_on))
    return document.save()


def _pictures(document, events) -> None:
    """Each chosen event's first photo, captioned with its date and name."""
    for event in events or []:
        photo = (event.photos or [None])[0]
        if photo is not None and photo.thumbnail and photo.thumbnail.grid_id:
            document.picture(photo.thumbnail.read(), f"{event.event_date:%Y年%m月%d日} {event.title}")


def summary_docx(summary: YearSummary, townships: list | None = None) -> bytes:
    """The year-end summary as a Word document: title, its sections with the edited text,
    the figures table in 三, the chosen photos in 二, the signature."""
    document = GovernmentDocument()
    as_of = summary.as_of or summary.sent_on
    document.title(summary.title, f"（统计截至{chinese_date(as_of)}）")
    if townships is not None:
        document.note(f"统计范围：{_township_names(townships)}")
    units = _units(summary.figures, summary._data.get("contract"))
    for heading, (field, _) in zip(SUMMARY_SECTIONS, YearSummary.sections, strict=True):
        document.heading(heading)
        text = getattr(summary, field) or ""
        for line in text.splitlines() or [""]:
            if re.fullmatch(r"（[一二三四五六七八九十]+）\S{1,16}", line.strip()):
                document.subheading(line.strip())
            else:
                document.body(line if line.strip() else "")
        if not text.strip():
            document.body("无。")
        if field == "work":
            _pictures(document, summary.photo_events)
        if field == "results":
            document.table(["序号", "指标", "目标", "完成", "完成率", "状态"],
                           [[str(index), f.name, f.target_label or amount_text(f.target, unit),
                             amount_text(f.achieved, unit), share_text(f.achieved, f.target),
                             STATUS_LABELS.get(f.status, "")]
                            for index, (f, unit) in enumerate(((f, f.unit if f.unit is not None else units.get(f.code, ""))
                                                               for f in summary.figures), start=1)],
                           widths_cm=[1.2, 5.6, 2.8, 2.4, 2, 1.6])
    document.signature(organisation_name(summary.sender) or summary.contract.station, chinese_date(summary.sent_on))
    return document.save()


def report_docx(doc) -> bytes:
    return brief_docx(doc) if doc.kind == "brief" else summary_docx(doc)


def _township_names(townships: list) -> str:
    return "、".join(t.name for t in Township.objects(pk__in=list(townships)).order_by("code"))


def _figure(value, indicator):
    """An indicator's figure as a workbook value: a share as a percentage cell, else a number."""
    if value is None:
        return None
    return Value(value / 100, PERCENT) if indicator.kind in PERCENT_KINDS else Value(value, NUMBER)


def indicator_workbook(contract: Contract, today: dt.date, townships: list | None = None, made_by: str = ""):
    """The indicator table and one evidence sheet per indicator, for the bureau:
    measured over ``townships`` (a user's scope; None for the whole district), so that
    every evidence sheet lists only records of those townships. Figures are numbers
    (shares as percentages), each beside its unit; no internal codes."""
    measurements = measure_all(contract, today, townships)
    overview = [[m.indicator.name, dict(AREAS).get(m.indicator.area, ""), m.indicator.section or "",
                 OPERATOR_SIGNS.get(m.indicator.op, ""), _figure(m.target, m.indicator), _figure(m.achieved, m.indicator),
                 _figure(m.expected, m.indicator), m.share, unit_of(m.indicator), m.status_label,
                 m.indicator.rule or ""] for m in measurements]
    scope = f"统计范围：{_township_names(townships)}" if townships is not None else "统计范围：全区"
    block = TitleBlock.for_contract("指标完成情况", contract, made_by=made_by, as_of=today)
    sheets = [Sheet("指标完成情况", ["指标", "领域", "方案条款", "比较", Column("目标", "number"), Column("完成", "number"),
                                 Column("按时间应完成", "number"), Column("完成率", PERCENT), "单位", "状态", "计算口径"],
                    overview, note=scope)]
    for index, m in enumerate(measurements, start=1):
        note = (f"{m.indicator.name}：目标 {m.target_text()}，完成 {m.achieved_text()}（{m.status_label}）。"
                f"{m.indicator.rule or ''}")
        sheets.append(Sheet(f"{index:02d}{m.indicator.name}", [Column("日期", DATE), "记录", "街道/乡镇"],
                            _evidence_rows(m), note=note))
    return write_workbook(sheets, block)


def _evidence_rows(m: Measurement):
    evidence = m.evidence
    if evidence is None:
        for item in m.items:
            yield ["", f"{item.get('label')}：{item.get('count', '')}{'（达标）' if item.get('done') else ''}", ""]
        return
    if evidence.entries is not None or evidence.reader is not None:  # people in periods, several collections
        for item in evidence.all_entries():
            yield [item["date"] or "", item["label"], ""]
        return
    names = {t.pk: t.name for t in Township.objects.only("name")}
    query = evidence.document.objects(__raw__=evidence.raw).order_by(evidence.order_by).batch_size(1000)
    for record in query:
        day = getattr(record, evidence.date_field, None)
        township = record._data.get("township") if "township" in record._fields else None
        township_id = getattr(township, "pk", None) or getattr(township, "id", None) or township
        yield [day, str(record), names.get(township_id, "") if not isinstance(township_id, list) else ""]


