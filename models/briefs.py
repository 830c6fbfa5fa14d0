"""Month close (frozen figures and later differences) and the monthly work
brief (工作简报): drafted from the figures and the month's records, edited,
kept issue by issue, written as a Word document."""

import datetime as dt
import io
import re

from mongoengine import (
    DateTimeField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FloatField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)

from .base import DISTRICT_WIDE, TrackedDocument
from .clock import local_now, local_today
from .contracts import Contract
from .errors import DomainError
from .indicators import AREAS, STATUS_LABELS, Measurement, measure_all, month_end
from .periods import period_key, period_label

BRIEF_STATES = (("draft", "草稿"), ("issued", "已发布"))


class FrozenFigure(EmbeddedDocument):
    code = StringField(required=True)
    name = StringField(verbose_name="指标")
    month_value = FloatField(verbose_name="当月")
    achieved = FloatField(verbose_name="累计完成")
    target = FloatField(verbose_name="目标")
    status = StringField(verbose_name="状态")

    def __str__(self):
        return f"{self.name}：当月 {_plain(self.month_value)}，累计 {_plain(self.achieved)}（{STATUS_LABELS.get(self.status, '')}）"


def _plain(value) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _month_value(m: Measurement, month: str):
    for key, value in m.series:
        if key == month:
            return float(value)
    return None


def freeze(measurements: list[Measurement], month: str) -> list[FrozenFigure]:
    return [FrozenFigure(code=m.indicator.code, name=m.indicator.name, month_value=_month_value(m, month),
                         achieved=float(m.achieved), target=float(m.target), status=m.status) for m in measurements]


class MonthClose(TrackedDocument):
    contract = ReferenceField(Contract, required=True, verbose_name="合同")
    month = StringField(required=True, regex=r"^\d{4}-\d{2}$", verbose_name="月份")
    closed_at = DateTimeField(verbose_name="关账时间")
    closed_by = StringField(verbose_name="关账人")
    figures = ListField(EmbeddedDocumentField(FrozenFigure), verbose_name="冻结的指标数据")

    meta = {"collection": "month_closes", "ordering": ["-month"],
            "indexes": [{"fields": ["contract", "month"], "unique": True}]}
    scope_field = DISTRICT_WIDE  # a month's frozen district figures, kept by the coordinator

    def __str__(self):
        return f"{period_label('month', self.month, with_year=True)}关账" if self.month else "关账"

    def duplicate_message(self, actor=None):
        return f"{period_label('month', self.month, with_year=True)}已经关账，不能重复关账。"


def close_month(contract: Contract, month: str, actor, today: dt.date | None = None) -> MonthClose:
    """Freeze a month's figures, as of its last day (who and when are recorded)."""
    from .services import create_record

    today = today or local_today()
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", month or ""):
        raise DomainError("请选择要关账的月份。", field="month")
    if MonthClose.objects(contract=contract.pk, month=month, voided=False).first() is not None:
        raise DomainError(f"{period_label('month', month, with_year=True)}已经关账，不能重复关账。", field="month")
    last_day = month_end(month)
    if last_day >= today:
        raise DomainError(f"{period_label('month', month, with_year=True)}尚未结束，月末之后才能关账。", field="month")
    if not contract.covers(last_day) and not contract.covers(last_day.replace(day=1)):
        raise DomainError(f"{period_label('month', month, with_year=True)}不在合同服务期内。", field="month")
    figures = freeze(measure_all(contract, last_day), month)
    return create_record(MonthClose(contract=contract, month=month, closed_at=local_now(),
                                    closed_by=getattr(actor, "display_name", None) or "系统", figures=figures), actor)


def month_differences(close: MonthClose) -> list[dict]:
    """What the same month shows now, against what was frozen: later edits to old records."""
    now = {f.code: f for f in freeze(measure_all(close.contract, month_end(close.month)), close.month)}
    changes = []
    for frozen in close.figures:
        current = now.get(frozen.code)
        if current is None:
            continue
        if (current.month_value or 0) != (frozen.month_value or 0) or current.achieved != frozen.achieved:
            changes.append({"name": frozen.name, "code": frozen.code, "frozen_month": frozen.month_value,
                            "current_month": current.month_value, "frozen_achieved": frozen.achieved,
                            "current_achieved": current.achieved,
                            "delta": round((current.achieved or 0) - (frozen.achieved or 0), 2)})
    return changes


class Brief(TrackedDocument):
    contract = ReferenceField(Contract, required=True, verbose_name="合同")
    month = StringField(required=True, regex=r"^\d{4}-\d{2}$", verbose_name="月份")
    issue_number = IntField(required=True, verbose_name="期号")
    title = StringField(required=True, max_length=100, verbose_name="标题")
    sender = StringField(required=True, max_length=100, verbose_name="编发单位")
    sent_on = DateTimeField(required=True, verbose_name="日期")
    status = StringField(required=True, choices=BRIEF_STATES, default="draft", verbose_name="状态")
    highlights = StringField(max_length=5000, verbose_name="工作亮点")
    photo_events = ListField(ReferenceField("CommunityEvent"), verbose_name="配图活动（取各活动第一张照片）")
    typical_case = StringField(max_length=5000, verbose_name="典型案例（已去标识）")
    problems = StringField(max_length=3000, verbose_name="存在问题")
    next_plan = StringField(max_length=3000, verbose_name="下月计划")
    figures = ListField(EmbeddedDocumentField(FrozenFigure), verbose_name="主要数据")

    meta = {"collection": "briefs", "ordering": ["-month", "-issue_number"],
            "indexes": [("issue_number", "id"), "status", "month", {"fields": ["contract", "issue_number"], "unique": True}]}
    scope_field = DISTRICT_WIDE  # the station's monthly brief for the bureau: district totals, de-identified cases

    def __str__(self):
        return f"{self.title}（第 {self.issue_number} 期）" if self.issue_number else (self.title or "工作简报")

    def duplicate_message(self, actor=None):
        return f"第 {self.issue_number} 期简报已存在，请换一个期号。"

    def check_rules(self):
        if self.issue_number is not None and self.issue_number < 1:
            raise DomainError("期号须为正整数。", field="issue_number")
        if self.status == "issued":
            for name, label in (("highlights", "工作亮点"), ("next_plan", "下月计划")):
                if not (getattr(self, name) or "").strip():
                    raise DomainError(f"发布前请填写{label}。", field=name)
        if self.typical_case and _names_an_archive(self.typical_case):
            raise DomainError("典型案例中出现了服务对象的真实姓名，请改用化名（如“小A”“王某”）。", field="typical_case")


def _names_an_archive(text: str) -> bool:
    """Whether a de-identified text still holds the full name of an archived person."""
    import re

    from .archives import Archive

    candidates: set = set()
    for run in re.findall(r"[\u4e00-\u9fff]+", text or ""):
        for size in (2, 3, 4):
            candidates.update(run[i:i + size] for i in range(len(run) - size + 1))
    if not candidates:
        return False
    return Archive.objects(name__in=list(candidates), voided=False).only("id").first() is not None


def draft_brief(contract: Contract, month: str, actor) -> Brief:
    """A draft brief for a month: its figures, the month's activity in numbers, next issue number."""
    from .activities import CommunityEvent
    from .services import create_record

    last_day = month_end(month)
    measurements = measure_all(contract, min(last_day, local_today()))
    figures = freeze(measurements, month)
    latest = Brief.objects(contract=contract.pk).order_by("-issue_number").only("issue_number").first()
    number = (latest.issue_number if latest else 0) + 1
    month_items = [f"{f.name} {_plain(f.month_value)}" for f in figures if f.month_value]
    highlights = (f"{period_label('month', month, with_year=True)}，" + "，".join(month_items[:8]) + "。") if month_items else ""
    start = dt.datetime.combine(last_day.replace(day=1), dt.time())
    events = [e for e in CommunityEvent.objects(event_date__gte=start, voided=False,
                                                event_date__lte=dt.datetime.combine(last_day, dt.time.max))
              .order_by("-people_served").limit(20) if e.photos][:3]
    brief = Brief(contract=contract, month=month, issue_number=number, title=f"{contract.station}工作简报",
                  sender=contract.provider, sent_on=dt.datetime.combine(local_today(), dt.time()),
                  highlights=highlights, figures=figures, photo_events=events)
    return create_record(brief, actor)


def brief_docx(brief: Brief) -> bytes:
    """The brief as a Word document."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document = Document()
    heading = document.add_heading(brief.title, level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    line = document.add_paragraph(f"第 {brief.issue_number} 期（{period_label('month', brief.month, with_year=True)}）")
    line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sent = brief.sent_on
    document.add_paragraph(f"{brief.sender}　　{sent.year}年{sent.month}月{sent.day}日")
    document.add_heading("一、主要数据", level=1)
    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("指标", "当月", "累计完成", "全年目标", "状态"), strict=True):
        cell.text = text
    for figure in brief.figures:
        cells = table.add_row().cells
        for cell, text in zip(cells, (figure.name, _plain(figure.month_value), _plain(figure.achieved),
                                      _plain(figure.target), STATUS_LABELS.get(figure.status, "")), strict=True):
            cell.text = text
    sections = (("二、工作亮点", brief.highlights), ("三、典型案例", brief.typical_case), ("四、存在问题", brief.problems),
                ("五、下月计划", brief.next_plan))
    for title, text in sections:
        document.add_heading(title, level=1)
        for paragraph in (text or "（无）").splitlines() or ["（无）"]:
            document.add_paragraph(paragraph)
        if title == "二、工作亮点":
            for event in brief.photo_events or []:
                photo = (event.photos or [None])[0]
                if photo is not None and photo.thumbnail and photo.thumbnail.grid_id:
                    document.add_picture(io.BytesIO(photo.thumbnail.read()), width=Cm(8))
                    caption = document.add_paragraph(f"{event.event_date:%Y-%m-%d} {event.title}")
                    caption.runs[0].font.size = Pt(9)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def year_summary_docx(contract: Contract, today: dt.date, townships: list | None = None) -> bytes:
    """The year-end summary: every indicator with its result, and what fell short,
    measured over ``townships`` (a user's scope; None for the whole district)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    measurements = measure_all(contract, today, townships)
    document = Document()
    heading = document.add_heading(f"{contract.name}年度工作总结（指标完成情况）", level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if townships is not None:
        document.add_paragraph(f"统计范围：{_township_names(townships)}")
    document.add_paragraph(f"购买方：{contract.buyer}　承接机构：{contract.provider}　预算：{contract.budget_text}")
    document.add_paragraph(f"服务期：{contract.start_date:%Y-%m-%d} 至 {contract.end_date:%Y-%m-%d}；统计截至 {today:%Y-%m-%d}。")
    met = [m for m in measurements if m.status == "met"]
    document.add_paragraph(f"共 {len(measurements)} 项指标，已达标 {len(met)} 项。")
    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("指标", "方案条款", "目标", "完成", "状态"), strict=True):
        cell.text = text
    for m in measurements:
        cells = table.add_row().cells
        for cell, text in zip(cells, (m.indicator.name, m.indicator.section or "", m.target_text(), m.achieved_text(),
                                      m.status_label), strict=True):
            cell.text = text
    short = [m for m in measurements if m.status != "met"]
    document.add_heading("未达标指标及原因", level=1)
    for m in short:
        reasons = m.note or "；".join(reason for _, reason in m.near_misses[:3]) or "完成数量不足"
        document.add_paragraph(f"{m.indicator.name}：完成 {m.achieved_text()}，目标 {m.target_text()}。{reasons}",
                               style="List Bullet")
    if not short:
        document.add_paragraph("全部指标均已达标。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _township_names(townships: list) -> str:
    from .reference import Township

    return "、".join(t.name for t in Township.objects(pk__in=list(townships)).order_by("code"))


def indicator_workbook(contract: Contract, today: dt.date, townships: list | None = None):
    """The indicator table and one evidence sheet per indicator, for the bureau:
    measured over ``townships`` (a user's scope; None for the whole district), so that
    every evidence sheet lists only records of those townships."""
    from .spreadsheets import write_sheets

    measurements = measure_all(contract, today, townships)
    overview = [[m.indicator.code, m.indicator.name, dict(AREAS).get(m.indicator.area, ""), m.indicator.section or "",
                 m.target_text(),
                 m.achieved_text(), m.expected_text(), m.status_label, m.indicator.rule or ""] for m in measurements]
    sheets = [("指标完成情况", ["代码", "指标", "领域", "方案条款", "目标", "完成", "应完成", "状态", "计算口径"], overview)]
    for index, m in enumerate(measurements, start=1):
        sheets.append((f"{index:02d}{m.indicator.name}"[:31], ["日期", "记录", "街道/乡镇"], _evidence_rows(m)))
    return write_sheets(sheets)


def _evidence_rows(m: Measurement):
    evidence = m.evidence
    if evidence is None:
        for item in m.items:
            yield ["", f"{item.get('label')}：{item.get('count', '')}{'（达标）' if item.get('done') else ''}", ""]
        return
    from .reference import Township

    if evidence.entries is not None:  # people in periods, records of several collections
        for item in evidence.entries:
            yield [item["date"] or "", item["label"], ""]
        return
    names = {t.pk: t.name for t in Township.objects.only("name")}
    query = evidence.document.objects(__raw__=evidence.raw).order_by(evidence.order_by).batch_size(1000)
    for record in query:
        day = getattr(record, evidence.date_field, None)
        township = record._data.get("township") if "township" in record._fields else None
        township_id = getattr(township, "pk", None) or getattr(township, "id", None) or township
        yield [day, str(record), names.get(township_id, "") if not isinstance(township_id, list) else ""]


def current_month_key(day: dt.date | None = None) -> str:
    return period_key("month", day or local_today())
