"""The station's reports as records: the month close (a month's frozen figures), the
monthly work brief (工作简报), the year-end summary (年度工作总结) and each issued version
of them, with what a report must hold before it is issued."""

import datetime as dt
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

from ..archives import Archive
from ..base import DISTRICT_WIDE, TrackedDocument
from ..contracts import Contract
from ..errors import DomainError
from ..indicator_terms import STATUS_LABELS
from ..periods import month_end, period_key, period_label

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
    return f"{plain_amount(value)}%" if unit == "%" else f"{plain_amount(value)} {unit}".strip()


def share_text(achieved, target) -> str:
    """How much of a target is done, as a percentage (50.6%)."""
    return f"{achieved / target * 100:.1f}%" if target else "—"


def plain_amount(value) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}".rstrip("0").rstrip(".")


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
    candidates: set = set()
    for run in re.findall(r"[\u4e00-\u9fff]+", text or ""):
        for size in (2, 3, 4):
            candidates.update(run[i:i + size] for i in range(len(run) - size + 1))
    if not candidates:
        return False
    return Archive.objects(name__in=list(candidates), voided=False).only("id").first() is not None


def organisation_name(text: str | None) -> str | None:
    """The organisation's name as written in the contract, None while it is not filled in."""
    text = (text or "").strip()
    return text if text and "请填写" not in text else None


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


def report_filename(doc, edition: int = 1) -> str:
    number = f"第{doc.issue_number}期" if doc.kind == "brief" else ""
    return f"{doc.title}{number}{f'（第{edition}版）' if edition > 1 else ''}.docx"


