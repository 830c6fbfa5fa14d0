"""Month close (frozen figures and later differences) and the monthly work
brief (工作简报): drafted from the figures and the month's records, edited,
kept issue by issue, written as a Word document."""

import datetime as dt
import hashlib
import re

from mongoengine import (
    DateTimeField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FileField,
    FloatField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)

from .base import DISTRICT_WIDE, TrackedDocument, ref_id
from .clock import local_now, local_today
from .contracts import Contract
from .errors import DomainError, StaleRecordError
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

BRIEF_STATES = (("draft", "草稿"), ("issued", "已签发"))


class FrozenFigure(EmbeddedDocument):
    code = StringField(required=True)
    name = StringField(verbose_name="指标")
    month_value = FloatField(verbose_name="当月")
    achieved = FloatField(verbose_name="累计完成")
    target = FloatField(verbose_name="目标")
    status = StringField(verbose_name="状态")
    unit = StringField(verbose_name="单位")  # % for shares (kept from the indicator when frozen)
    target_label = StringField(verbose_name="目标（含比较）")  # ≥ 500 次, as the indicator page says it

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
                         achieved=float(m.achieved), target=float(m.target), status=m.status, unit=unit_of(m.indicator),
                         target_label=m.target_text())
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


class GeneratedText(EmbeddedDocument):
    """The text a section was last generated with, kept beside the edited text: 重新生成
    refreshes a section the worker left as generated and keeps one they edited."""

    field = StringField(required=True)
    text = StringField()


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
    typical_source = ReferenceField("Case", verbose_name="典型案例来源（已结案个案）")
    typical_case = StringField(max_length=5000, verbose_name="典型案例（已去标识）")
    problems = StringField(max_length=3000, verbose_name="存在问题")
    next_plan = StringField(max_length=3000, verbose_name="下月计划")
    figures = ListField(EmbeddedDocumentField(FrozenFigure), verbose_name="主要数据")
    generated = ListField(EmbeddedDocumentField(GeneratedText), verbose_name="生成的文字")

    meta = {"collection": "briefs", "ordering": ["-month", "-issue_number"],
            "indexes": [("issue_number", "id"), "status", "month", {"fields": ["contract", "issue_number"], "unique": True}]}
    scope_field = DISTRICT_WIDE  # the station's monthly brief for the bureau: district totals, de-identified cases
    unaudited_fields = frozenset({"generated"})
    #: The sections generated from the data and edited by the coordinator: (field, label).
    sections = (("highlights", "工作亮点"), ("typical_case", "典型案例"), ("problems", "存在问题"),
                ("next_plan", "下月计划"))
    required_sections = ("highlights", "next_plan")
    kind = "brief"

    def __str__(self):
        return f"{self.title}（第 {self.issue_number} 期）" if self.issue_number else (self.title or "工作简报")

    def duplicate_message(self, actor=None):
        return f"第 {self.issue_number} 期简报已存在，请换一个期号。"

    def period_range(self) -> tuple[dt.datetime, dt.datetime] | None:
        """The days the brief reports on: its month (its photos are of events in it)."""
        if not self.month or not re.fullmatch(r"\d{4}-\d{2}", self.month):
            return None
        last = month_end(self.month)
        return dt.datetime.combine(last.replace(day=1), dt.time()), dt.datetime.combine(last, dt.time.max)

    def check_rules(self):
        if self.issue_number is not None and self.issue_number < 1:
            raise DomainError("期号须为正整数。", field="issue_number")
        check_report_rules(self)


def check_report_rules(doc) -> None:
    """What a brief and a summary both need: before it is issued, the organisation's name
    and the required sections; at any time, a typical case that names nobody, taken from a
    closed case, and photos from events with photos in the period reported on."""
    if doc.status == "issued":
        if not organisation_name(doc.sender):
            raise DomainError("签发前请填写编发单位（项目承接机构名称，可在“经费 → 合同”中填写）。", field="sender")
        labels = dict(doc.sections)
        for name in doc.required_sections:
            if not (getattr(doc, name) or "").strip():
                raise DomainError(f"签发前请填写{labels[name]}。", field=name)
    if doc.typical_case and _names_an_archive(doc.typical_case):
        raise DomainError("典型案例中出现了服务对象的真实姓名，请改用化名（如“小A”“王某”）。", field="typical_case")
    source = doc.typical_source
    if source is not None and (getattr(source, "closed_on", None) is None or source.voided):
        raise DomainError("典型案例只能从已结案的个案中选取。", field="typical_source")
    period = doc.period_range()
    for event in doc.photo_events or []:
        if not getattr(event, "photos", None):
            raise DomainError(f"活动“{event.title}”没有照片，请选择有照片的活动。", field="photo_events")
        if period is not None and not period[0] <= event.event_date <= period[1]:
            raise DomainError(f"活动“{event.title}”不在本期报告的时间内。", field="photo_events")


def _names_an_archive(text: str) -> bool:
    """Whether a de-identified text still holds the full name of an archived person."""
    from .archives import Archive

    candidates: set = set()
    for run in re.findall(r"[\u4e00-\u9fff]+", text or ""):
        for size in (2, 3, 4):
            candidates.update(run[i:i + size] for i in range(len(run) - size + 1))
    if not candidates:
        return False
    return Archive.objects(name__in=list(candidates), voided=False).only("id").first() is not None


def _photo_events(start: dt.datetime, end: dt.datetime, limit: int = 3) -> list:
    """The period's events with photos, most people served first (a draft's first choice)."""
    from .activities import CommunityEvent

    events = CommunityEvent.objects(event_date__gte=start, event_date__lte=end, voided=False) \
        .order_by("-people_served").limit(20)
    return [e for e in events if e.photos][:limit]


def case_outline(case) -> str:
    """A closed case said without who it was for: its kind, dates and the service given."""
    from .casework import CASE_TYPES

    if case is None:
        return ""
    kind = dict(CASE_TYPES).get(case.case_type, "个案")
    return (f"{kind}，{chinese_date_of(case.opened_on)}接案，{chinese_date_of(case.closed_on)}结案，"
            f"共服务 {case.session_count or 0} 次，累计 {_plain(case.total_hours or 0)} 小时。")


def chinese_date_of(day) -> str:
    from .documents import chinese_date

    return chinese_date(day) if day else "—"


def _short_sentences(measurements: list[Measurement], settled: tuple = ("met", "on_track")) -> list[str]:
    """Each indicator whose status is not ``settled``: how far it is, and why (存在问题)."""
    lines = []
    for m in measurements:
        if m.status in settled:
            continue
        reasons = m.note or "；".join(reason for _, reason in m.near_misses[:3]) or "完成数量不足"
        lines.append(f"{m.indicator.name}：完成 {amount_text(m.achieved, unit_of(m.indicator))}，"
                     f"目标 {m.target_text()}（{m.status_label}）。{reasons.rstrip('。')}。")
    return lines


def _plan_sentences(measurements: list[Measurement], months_left: int) -> list[str]:
    """What each indicator not yet met still needs, per month left (下一步计划)."""
    plans = []
    for m in measurements:
        if m.status == "met":
            continue
        unit = unit_of(m.indicator)
        missing = m.target - m.achieved
        if unit == "%" or missing <= 0:
            plans.append(f"{m.indicator.name}：逐项补齐未计入的记录，达到目标 {m.target_text()}")
        else:
            plans.append(f"{m.indicator.name}：尚差 {amount_text(missing, unit)}，剩余 {months_left} 个月内"
                         f"平均每月须完成 {amount_text(missing / months_left, unit)}")
    return plans


def brief_sections(brief: Brief) -> dict[str, str]:
    """The generated text of each section of a brief, from its month's figures."""
    contract = brief.contract
    last_day = month_end(brief.month)
    measurements = measure_all(contract, min(last_day, local_today()))
    brief.figures = freeze(measurements, brief.month)
    sentences = [figure_sentence(f.name, f.unit, f.month_value, f.achieved, f.target) for f in brief.figures
                 if f.month_value]
    months_left = max(_months_between(last_day, contract.end_date.date()), 1)
    plans = _plan_sentences(measurements, months_left)
    return {"highlights": "\n".join(f"{sentence}。" for sentence in sentences[:8]),
            "typical_case": case_outline(brief.typical_source),
            "problems": "\n".join(_short_sentences(measurements)),
            "next_plan": "\n".join(f"{plan}。" for plan in plans) or "继续按服务方案常态化开展各项服务。"}


def draft_brief(contract: Contract, month: str, actor) -> Brief:
    """A draft brief for a month: its figures, the sections generated from them, the
    month's events with photos, the next issue number."""
    from .services import create_record

    last_day = month_end(month)
    latest = Brief.objects(contract=contract.pk).order_by("-issue_number").only("issue_number").first()
    number = (latest.issue_number if latest else 0) + 1
    start = dt.datetime.combine(last_day.replace(day=1), dt.time())
    brief = Brief(contract=contract, month=month, issue_number=number, title=f"{contract.station}工作简报",
                  sender=organisation_name(contract.provider) or "", sent_on=dt.datetime.combine(local_today(), dt.time()),
                  photo_events=_photo_events(start, dt.datetime.combine(last_day, dt.time.max)))
    _fill_generated(brief, brief_sections(brief))
    return create_record(brief, actor)


def _fill_generated(doc, fresh: dict[str, str]) -> list[str]:
    """Put freshly generated text in each section the worker has not edited (blank, or as
    last generated); keep edited ones. Returns the labels of the sections kept."""
    old = {g.field: g.text or "" for g in doc.generated or []}
    labels = dict(doc.sections)
    kept = []
    for field, text in fresh.items():
        current = getattr(doc, field) or ""
        if not current.strip() or (field in old and current == old[field]):
            setattr(doc, field, text)
        elif current != text:
            kept.append(labels[field])
    doc.generated = [GeneratedText(field=field, text=text) for field, text in fresh.items()]
    return kept


def regenerate(doc, actor, expected_version: int) -> list[str]:
    """重新生成: refresh the figures and the generated text from today's data, keeping every
    section the worker edited. Returns the labels of the sections kept as edited."""
    from .services import snapshot, update_record

    if doc.voided:
        raise DomainError("已作废的文稿不能重新生成。")
    if (doc.version or 1) != expected_version:
        raise StaleRecordError()
    before = snapshot(doc)
    if doc.kind == "summary":
        doc.as_of = dt.datetime.combine(local_today(), dt.time())
    fresh = brief_sections(doc) if doc.kind == "brief" else summary_sections(doc)
    kept = _fill_generated(doc, fresh)
    update_record(doc, before, expected_version, actor)
    return kept


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
            _pictures(document, brief.photo_events)
    document.signature(sender, chinese_date(brief.sent_on))
    return document.save()


def _pictures(document, events) -> None:
    """Each chosen event's first photo, captioned with its date and name."""
    for event in events or []:
        photo = (event.photos or [None])[0]
        if photo is not None and photo.thumbnail and photo.thumbnail.grid_id:
            document.picture(photo.thumbnail.read(), f"{event.event_date:%Y年%m月%d日} {event.title}")


SUMMARY_SECTIONS = ("一、基本情况", "二、工作开展情况", "三、主要成效与数据", "四、典型案例", "五、存在问题", "六、下一步计划")


class YearSummary(TrackedDocument):
    """The year-end summary (年度工作总结): drafted from the figures, edited, then issued;
    once issued it is the contract's 总结材料."""

    contract = ReferenceField(Contract, required=True, verbose_name="合同")
    title = StringField(required=True, max_length=100, verbose_name="标题")
    sender = StringField(max_length=100, verbose_name="编发单位")
    sent_on = DateTimeField(required=True, verbose_name="日期")
    as_of = DateTimeField(verbose_name="统计截至")
    month = StringField(verbose_name="月份")  # of the date, for the indicator's months
    status = StringField(required=True, choices=BRIEF_STATES, default="draft", verbose_name="状态")
    basics = StringField(max_length=5000, verbose_name="基本情况")
    work = StringField(max_length=20000, verbose_name="工作开展情况")
    results = StringField(max_length=5000, verbose_name="主要成效与数据")
    photo_events = ListField(ReferenceField("CommunityEvent"), verbose_name="配图活动（取各活动第一张照片）")
    typical_source = ReferenceField("Case", verbose_name="典型案例来源（已结案个案）")
    typical_case = StringField(max_length=5000, verbose_name="典型案例（已去标识）")
    problems = StringField(max_length=5000, verbose_name="存在问题")
    next_plan = StringField(max_length=5000, verbose_name="下一步计划")
    figures = ListField(EmbeddedDocumentField(FrozenFigure), verbose_name="主要数据")
    generated = ListField(EmbeddedDocumentField(GeneratedText), verbose_name="生成的文字")

    meta = {"collection": "year_summaries", "ordering": ["-sent_on"],
            "indexes": [("sent_on", "id"), "contract", "status", "month"]}
    scope_field = DISTRICT_WIDE  # the station's report for the bureau: district totals, de-identified cases
    unaudited_fields = frozenset({"generated"})
    sections = (("basics", "基本情况"), ("work", "工作开展情况"), ("results", "主要成效与数据"),
                ("typical_case", "典型案例"), ("problems", "存在问题"), ("next_plan", "下一步计划"))
    required_sections = ("basics", "work", "results", "next_plan")
    kind = "summary"

    def __str__(self):
        return self.title or "年度工作总结"

    def prepare(self):
        self.month = period_key("month", self.sent_on) if self.sent_on else None

    def period_range(self):
        contract = self.contract
        if contract is None or not contract.start_date or not contract.end_date:
            return None
        return contract.start_date, dt.datetime.combine(contract.end_date.date(), dt.time.max)

    def check_rules(self):
        check_report_rules(self)


SUMMARY_SECTIONS = tuple(f"{numeral}、{label}" for numeral, (_, label) in zip("一二三四五六", YearSummary.sections,
                                                                               strict=True))
_NUMERALS = "一二三四五六七八九十"


def summary_sections(summary: YearSummary, townships: list | None = None) -> dict[str, str]:
    """The generated text of each section of the summary, from ``measure_all`` as of its
    统计截至 date (what the indicator page shows), over ``townships`` (None: the district).
    Freezes the figures of its table on ``summary``."""
    contract = summary.contract
    today = summary.as_of.date() if summary.as_of else local_today()
    measurements = measure_all(contract, today, townships)
    month = current_month_key(today)
    summary.figures = freeze(measurements, month)
    operators = {key: label.split("（")[0] for key, label in OPERATORS}
    organisation = organisation_name(summary.sender)

    who = f"由{contract.buyer}购买" + (f"、{organisation}承接" if organisation else "")
    basics = [f"{contract.name}{who}，服务期为{chinese_date_of(contract.start_date)}至{chinese_date_of(contract.end_date)}，"
              f"合同预算{contract.budget_text}，服务范围为{contract.scope or contract.station}。"
              f"项目设合同指标 {len(measurements)} 项，涵盖{'、'.join(label for _, label in AREAS)}等方面。"]
    if townships is None:
        from .budget import budget_summary

        money = budget_summary(contract)["totals"]
        spent = money["paid"] + money["committed"]
        basics.append(f"截至{chinese_date_of(today)}，已支付{format_yuan(money['paid'])}，"
                      f"已承诺{format_yuan(money['committed'])}，预算执行率 {share_text(spent, contract.budget_fen)}。")

    work = []
    for index, (area, label) in enumerate([a for a in AREAS if any(m.indicator.area == a[0] for m in measurements)]):
        sentences = [figure_sentence(m.indicator.name, unit_of(m.indicator), _month_value(m, month), m.achieved,
                                     m.target, operators.get(m.indicator.op, ""))
                     for m in measurements if m.indicator.area == area]
        work += [f"（{_NUMERALS[index]}）{label}", "；".join(sentences) + "。"]

    counts = {key: sum(1 for m in measurements if m.status == key) for key in STATUS_LABELS}
    results = (f"{len(measurements)} 项合同指标中，已达标 {counts['met']} 项，进度正常 {counts['on_track']} 项，"
               f"滞后 {counts['lagging']} 项，存在风险 {counts['at_risk']} 项。各项指标完成情况如下表。")

    cases = [case_outline(summary.typical_source)] if summary.typical_source is not None else []
    cases += [f"{b.typical_case.strip()}（见第 {b.issue_number} 期工作简报）"
              for b in Brief.objects(contract=contract.pk, status="issued", voided=False).order_by("month")
              .only("typical_case", "issue_number") if (b.typical_case or "").strip()]
    short = _short_sentences(measurements, settled=("met",))
    months_left = max(_months_between(today, contract.end_date.date()), 1)
    plans = _plan_sentences(measurements, months_left)
    return {"basics": "\n".join(basics), "work": "\n".join(work), "results": results,
            "typical_case": "\n".join(cases) or (f"截至{chinese_date_of(today)}，已签发的工作简报中尚无典型案例，"
                                                  "可从已结案个案中选取，去标识后补充。"),
            "problems": "\n".join(short) or "全部指标均已达标。",
            "next_plan": "；".join(plans) + "。" if plans else "继续按服务方案常态化开展各项服务，巩固已达标指标。"}


def summary_docx(summary: YearSummary, townships: list | None = None) -> bytes:
    """The year-end summary as a Word document: title, its sections with the edited text,
    the figures table in 三, the chosen photos in 二, the signature."""
    from .documents import GovernmentDocument, chinese_date

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


def new_summary(contract: Contract, today: dt.date | None = None) -> YearSummary:
    """An unsaved summary of ``contract`` as of ``today``, its sections not yet generated."""
    today = today or local_today()
    return YearSummary(contract=contract, title=f"{contract.name}年度工作总结",
                       sender=organisation_name(contract.provider) or "",
                       sent_on=dt.datetime.combine(today, dt.time()), as_of=dt.datetime.combine(today, dt.time()))


def year_summary_docx(contract: Contract, today: dt.date, townships: list | None = None) -> bytes:
    """The year-end summary as the data say it today, measured over ``townships`` (a user's
    scope; None for the whole district): the generated text, not a saved draft."""
    summary = new_summary(contract, today)
    _fill_generated(summary, summary_sections(summary, townships))
    return summary_docx(summary, townships)


def draft_summary(contract: Contract, actor) -> YearSummary:
    """The contract's year-end summary draft, generated from today's figures (one per contract)."""
    from .services import create_record

    if YearSummary.objects(contract=contract.pk, voided=False).only("id").first() is not None:
        raise DomainError("本合同已有年度总结，请打开它修改或重新生成。")
    summary = new_summary(contract)
    _fill_generated(summary, summary_sections(summary))
    return create_record(summary, actor)


REPORT_KINDS = (("brief", "工作简报"), ("summary", "年度工作总结"))
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ISSUED_FILES = "issued_report_files"


class IssuedReport(TrackedDocument):
    """One issued version of a brief or a summary: the Word file exactly as issued, kept
    in GridFS and served unchanged; a correction is issued as the next version."""

    kind = StringField(required=True, choices=REPORT_KINDS, verbose_name="类别")
    contract = ReferenceField(Contract, required=True, verbose_name="合同")
    brief = ReferenceField(Brief, verbose_name="工作简报")
    summary = ReferenceField(YearSummary, verbose_name="年度工作总结")
    title = StringField(required=True, max_length=100, verbose_name="标题")
    issue_number = IntField(verbose_name="期号")
    edition = IntField(required=True, min_value=1, verbose_name="版次")
    dated = DateTimeField(verbose_name="落款日期")
    issued_at = DateTimeField(required=True, verbose_name="签发时间")
    issued_by = StringField(verbose_name="签发人")
    file = FileField(collection_name=ISSUED_FILES, verbose_name="签发文件")
    filename = StringField(verbose_name="文件名")
    size = IntField(verbose_name="大小（字节）")
    sha256 = StringField(verbose_name="文件校验值（SHA-256）")
    source_version = IntField(verbose_name="签发时文稿的版本")

    meta = {"collection": "issued_reports", "ordering": ["-issued_at"],
            "indexes": [("issued_at", "id"), "brief", "summary", "kind"]}
    scope_field = DISTRICT_WIDE  # issued briefs and summaries for the bureau
    file_fields = ("file",)

    def __str__(self):
        number = f"第 {self.issue_number} 期" if self.issue_number else ""
        return f"{self.title}{number}（第 {self.edition} 版）"

    def check_rules(self):
        if not self.file or not self.file.grid_id:
            raise DomainError("签发文件缺失。", field="file")


def issued_versions(doc) -> list[IssuedReport]:
    """Every issued version of a brief or summary, the latest first (voided ones too)."""
    return list(IssuedReport.objects(**{doc.kind: doc.pk}).order_by("-edition"))


def report_docx(doc) -> bytes:
    return brief_docx(doc) if doc.kind == "brief" else summary_docx(doc)


def report_filename(doc, edition: int = 1) -> str:
    number = f"第{doc.issue_number}期" if doc.kind == "brief" else ""
    return f"{doc.title}{number}{f'（第{edition}版）' if edition > 1 else ''}.docx"


def issue_report(doc, actor, expected_version: int) -> IssuedReport:
    """签发: check the draft as an issued one, write its Word file, keep the file as this
    version (the next one after any earlier), and mark the draft issued. Refused when
    someone saved the draft since ``expected_version`` or nothing changed since the last."""
    from .services import check_record, create_record, snapshot, update_record

    if doc.voided:
        raise DomainError("已作废的文稿不能签发。")
    if (doc.version or 1) != expected_version:
        raise StaleRecordError()
    before = snapshot(doc)
    doc.status = "issued"
    try:
        check_record(doc)
    except DomainError:
        doc.status = before.get("status")
        raise
    previous = IssuedReport.objects(**{doc.kind: doc.pk}, voided=False).order_by("-edition").first()
    if previous is not None and previous.source_version == doc.version:
        doc.status = before.get("status")
        raise DomainError(f"签发第 {previous.edition} 版之后文稿未修改，无需重新签发。")
    data = report_docx(doc)
    digest = hashlib.sha256(data).hexdigest()
    update_record(doc, before, expected_version, actor)
    latest = IssuedReport.objects(**{doc.kind: doc.pk}).order_by("-edition").only("edition").first()
    edition = (latest.edition if latest else 0) + 1
    report = IssuedReport(kind=doc.kind, contract=doc.contract, title=doc.title, edition=edition,
                          issue_number=getattr(doc, "issue_number", None), dated=doc.sent_on, issued_at=local_now(),
                          issued_by=getattr(actor, "display_name", None) or getattr(actor, "username", None) or "系统",
                          filename=report_filename(doc, edition), size=len(data), sha256=digest,
                          source_version=doc.version, **{doc.kind: doc})
    report.file.put(data, filename=report.filename, content_type=DOCX_TYPE)
    try:
        return create_record(report, actor)
    except DomainError:
        report.file.delete()
        raise


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
