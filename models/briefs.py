"""Month close (frozen figures and later differences) and the monthly work
brief (工作简报): drafted from the figures and the month's records, edited,
kept issue by issue, written as a Word document."""

import datetime as dt
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

from .base import DISTRICT_WIDE, TrackedDocument, ref_id
from .clock import local_now, local_today
from .contracts import Contract
from .errors import DomainError
from .indicators import (
    AREAS,
    OPERATORS,
    PERCENT_KINDS,
    STATUS_LABELS,
    Measurement,
    measure_all,
    month_end,
)
from .money import format_yuan
from .periods import period_key, period_label

BRIEF_STATES = (("draft", "草稿"), ("issued", "已发布"))


class FrozenFigure(EmbeddedDocument):
    code = StringField(required=True)
    name = StringField(verbose_name="指标")
    month_value = FloatField(verbose_name="当月")
    achieved = FloatField(verbose_name="累计完成")
    target = FloatField(verbose_name="目标")
    status = StringField(verbose_name="状态")
    unit = StringField(verbose_name="单位")  # % for shares (kept from the indicator when frozen)

    def __str__(self):
        return (f"{self.name}：当月 {amount_text(self.month_value, self.unit)}，"
                f"累计 {amount_text(self.achieved, self.unit)}（{STATUS_LABELS.get(self.status, '')}）")


def amount_text(value, unit: str | None) -> str:
    """A figure with its unit: 80 次, 6.4%, — when there is none."""
    if value is None:
        return "—"
    unit = unit or ""
    return f"{_plain(value)}%" if unit == "%" else f"{_plain(value)} {unit}".strip()


def share_text(achieved, target) -> str:
    """How much of a target is done, as a percentage (50.6%)."""
    return f"{achieved / target * 100:.1f}%" if target else "—"


def figure_sentence(name: str, unit: str | None, month_value, achieved, target, op_label: str = "") -> str:
    """One data-driven sentence: 本月入户探访 80 次，累计 253 次，完成全年目标的 50.6%。
    A share is said as a share: 覆盖率累计达到 85%（目标 100%）."""
    if unit == "%":
        month = f"本月 {amount_text(month_value, unit)}，" if month_value is not None else ""
        return f"{name}{month}累计达到 {amount_text(achieved, unit)}（目标{op_label} {amount_text(target, unit)}）"
    return (f"本月{name} {amount_text(month_value or 0, unit)}，累计 {amount_text(achieved, unit)}，"
            f"完成全年目标的 {share_text(achieved, target)}")


def _plain(value) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _month_value(m: Measurement, month: str):
    for key, value in m.series:
        if key == month:  # a month with nothing to measure yet (no ended week) has no value
            return None if value is None else float(value)
    return None


def freeze(measurements: list[Measurement], month: str) -> list[FrozenFigure]:
    return [FrozenFigure(code=m.indicator.code, name=m.indicator.name, month_value=_month_value(m, month),
                         achieved=float(m.achieved), target=float(m.target), status=m.status, unit=unit_of(m.indicator))
            for m in measurements]


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
    sender = StringField(max_length=100, verbose_name="编发单位")
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
            if not organisation_name(self.sender):
                raise DomainError("发布前请填写编发单位（项目承接机构名称，可在“经费 → 合同”中填写）。", field="sender")
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
    sentences = [figure_sentence(f.name, f.unit, f.month_value, f.achieved, f.target) for f in figures if f.month_value]
    highlights = "\n".join(f"{sentence}。" for sentence in sentences[:8])
    start = dt.datetime.combine(last_day.replace(day=1), dt.time())
    events = [e for e in CommunityEvent.objects(event_date__gte=start, voided=False,
                                                event_date__lte=dt.datetime.combine(last_day, dt.time.max))
              .order_by("-people_served").limit(20) if e.photos][:3]
    brief = Brief(contract=contract, month=month, issue_number=number, title=f"{contract.station}工作简报",
                  sender=organisation_name(contract.provider) or "", sent_on=dt.datetime.combine(local_today(), dt.time()),
                  highlights=highlights, figures=figures, photo_events=events)
    return create_record(brief, actor)


def organisation_name(text: str | None) -> str | None:
    """The organisation's name as written in the contract, None while it is not filled in."""
    text = (text or "").strip()
    return text if text and "请填写" not in text else None


def _units(figures, contract) -> dict:
    """Units of figures frozen before units were kept, from the contract's indicators."""
    from .indicators import Indicator

    if all(f.unit is not None for f in figures):
        return {}
    return {i.code: unit_of(i) for i in Indicator.objects(contract=ref_id(contract)).only("code", "kind", "unit")}


def brief_docx(brief: Brief) -> bytes:
    """The brief as a Word document in the layout of a government brief: masthead with
    the issue and date, the month's figures as sentences and a table (each figure with
    its unit), then the edited sections with the chosen photos."""
    from .documents import GovernmentDocument, chinese_date

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
            for event in brief.photo_events or []:
                photo = (event.photos or [None])[0]
                if photo is not None and photo.thumbnail and photo.thumbnail.grid_id:
                    document.picture(photo.thumbnail.read(), f"{event.event_date:%Y年%m月%d日} {event.title}")
    document.signature(sender, chinese_date(brief.sent_on))
    return document.save()


SUMMARY_SECTIONS = ("一、基本情况", "二、工作开展情况", "三、主要成效与数据", "四、典型案例", "五、存在问题", "六、下一步计划")


def year_summary_docx(contract: Contract, today: dt.date, townships: list | None = None) -> bytes:
    """The year-end summary (年度工作总结) in six sections, its figures woven into
    sentences and a table, all from ``measure_all`` (what the indicator page shows),
    measured over ``townships`` (a user's scope; None for the whole district)."""
    from .documents import GovernmentDocument, chinese_date

    measurements = measure_all(contract, today, townships)
    month = current_month_key(today)
    operators = {key: label.split("（")[0] for key, label in OPERATORS}
    organisation = organisation_name(contract.provider)
    document = GovernmentDocument()
    document.title(f"{contract.name}年度工作总结", f"（统计截至{chinese_date(today)}）")
    if townships is not None:
        document.note(f"统计范围：{_township_names(townships)}")

    document.heading(SUMMARY_SECTIONS[0])
    who = f"由{contract.buyer}购买" + (f"、{organisation}承接" if organisation else "")
    document.body(f"{contract.name}{who}，服务期为{chinese_date(contract.start_date)}至{chinese_date(contract.end_date)}，"
                  f"合同预算{contract.budget_text}，服务范围为{contract.scope or contract.station}。"
                  f"项目设合同指标 {len(measurements)} 项，涵盖{'、'.join(label for _, label in AREAS)}等方面。")
    if townships is None:
        from .budget import budget_summary

        money = budget_summary(contract)["totals"]
        spent = money["paid"] + money["committed"]
        document.body(f"截至{chinese_date(today)}，已支付{format_yuan(money['paid'])}，已承诺{format_yuan(money['committed'])}，"
                      f"预算执行率 {share_text(spent, contract.budget_fen)}。")

    document.heading(SUMMARY_SECTIONS[1])
    numerals = "一二三四五六七八九十"
    for index, (area, label) in enumerate([a for a in AREAS if any(m.indicator.area == a[0] for m in measurements)]):
        document.subheading(f"（{numerals[index]}）{label}")
        sentences = [figure_sentence(m.indicator.name, unit_of(m.indicator), _month_value(m, month), m.achieved,
                                     m.target, operators.get(m.indicator.op, ""))
                     for m in measurements if m.indicator.area == area]
        document.body("；".join(sentences) + "。")

    document.heading(SUMMARY_SECTIONS[2])
    counts = {key: sum(1 for m in measurements if m.status == key) for key in STATUS_LABELS}
    document.body(f"{len(measurements)} 项合同指标中，已达标 {counts['met']} 项，进度正常 {counts['on_track']} 项，"
                  f"滞后 {counts['lagging']} 项，存在风险 {counts['at_risk']} 项。各项指标完成情况如下表。")
    document.table(["序号", "指标", "目标", "完成", "完成率", "状态"],
                   [[str(index), m.indicator.name, m.target_text(), amount_text(m.achieved, unit_of(m.indicator)),
                     share_text(m.achieved, m.target), m.status_label] for index, m in enumerate(measurements, start=1)],
                   widths_cm=[1.2, 5.6, 2.8, 2.4, 2, 1.6])

    document.heading(SUMMARY_SECTIONS[3])
    cases = [b for b in Brief.objects(contract=contract.pk, status="issued", voided=False).order_by("month")
             if (b.typical_case or "").strip()]
    for brief in cases:
        document.body(f"{brief.typical_case.strip()}（见第 {brief.issue_number} 期工作简报）")
    if not cases:
        document.body(f"截至{chinese_date(today)}，已发布的工作简报中尚无典型案例，可从已结案个案中选取，去标识后补充。")

    document.heading(SUMMARY_SECTIONS[4])
    short = [m for m in measurements if m.status != "met"]
    for m in short:
        reasons = m.note or "；".join(reason for _, reason in m.near_misses[:3]) or "完成数量不足"
        document.body(f"{m.indicator.name}：完成 {amount_text(m.achieved, unit_of(m.indicator))}，"
                      f"目标 {m.target_text()}（{m.status_label}）。{reasons.rstrip('。')}。")
    if not short:
        document.body("全部指标均已达标。")

    document.heading(SUMMARY_SECTIONS[5])
    months_left = max(_months_between(today, contract.end_date.date()), 1)
    plans = []
    for m in short:
        unit = unit_of(m.indicator)
        missing = m.target - m.achieved
        if unit == "%" or missing <= 0:
            plans.append(f"{m.indicator.name}：逐项补齐未计入的记录，达到目标 {m.target_text()}")
        else:
            plans.append(f"{m.indicator.name}：尚差 {amount_text(missing, unit)}，剩余 {months_left} 个月内"
                         f"平均每月须完成 {amount_text(missing / months_left, unit)}")
    document.body("；".join(plans) + "。" if plans else "继续按服务方案常态化开展各项服务，巩固已达标指标。")
    document.signature(organisation or contract.station, chinese_date(today))
    return document.save()


def _months_between(today: dt.date, end: dt.date) -> int:
    """Months after ``today``'s up to ``end``'s (0 in the contract's last month)."""
    return (end.year - today.year) * 12 + end.month - today.month


def _township_names(townships: list) -> str:
    from .reference import Township

    return "、".join(t.name for t in Township.objects(pk__in=list(townships)).order_by("code"))


def unit_of(indicator) -> str:
    """The unit an indicator's figures are read in: % for shares, else its own (次, 场, 人…)."""
    return "%" if indicator.kind in PERCENT_KINDS else (indicator.unit or "")


def _figure(value, indicator):
    """An indicator's figure as a workbook value: a share as a percentage cell, else a number."""
    from .spreadsheets import NUMBER, PERCENT, Value

    if value is None:
        return None
    return Value(value / 100, PERCENT) if indicator.kind in PERCENT_KINDS else Value(value, NUMBER)


def indicator_workbook(contract: Contract, today: dt.date, townships: list | None = None, made_by: str = ""):
    """The indicator table and one evidence sheet per indicator, for the bureau:
    measured over ``townships`` (a user's scope; None for the whole district), so that
    every evidence sheet lists only records of those townships. Figures are numbers
    (shares as percentages), each beside its unit; no internal codes."""
    from .spreadsheets import DATE, PERCENT, Column, Sheet, TitleBlock, write_workbook

    measurements = measure_all(contract, today, townships)
    operators = {key: label.split("（")[0] for key, label in OPERATORS}
    overview = [[m.indicator.name, dict(AREAS).get(m.indicator.area, ""), m.indicator.section or "",
                 operators.get(m.indicator.op, ""), _figure(m.target, m.indicator), _figure(m.achieved, m.indicator),
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
