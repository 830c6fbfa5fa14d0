"""Other contracted work: adoption assessments (paid at actual cost), the
marriage-archive and 婚育 publicity work log, media articles, and tasks the
bureau assigns."""

from mongoengine import (
    BooleanField,
    DateTimeField,
    FileField,
    FloatField,
    ReferenceField,
    StringField,
)

from .base import DISTRICT_WIDE, TrackedDocument
from .clock import local_today
from .errors import DomainError
from .money import FenField
from .periods import period_keys
from .reference import Township
from .users import User

ADOPTION_STATES = (("assigned", "已受理"), ("visiting", "评估中"), ("reported", "已出具报告"), ("withdrawn", "已撤回"))
MARRIAGE_KINDS = (("archive", "婚姻档案整理"), ("publicity", "婚育宣传"), ("other", "其他婚姻登记协助"))
MEDIA_LEVELS = (("district", "区级"), ("city", "市级"), ("province", "省级"), ("national", "国家级"))
COUNTED_MEDIA_LEVELS = ("city", "province", "national")
TASK_STATES = (("pending", "待办"), ("in_progress", "办理中"), ("done", "已完成"))


def _not_future(value, label: str, field: str) -> None:
    if value and value.date() > local_today():
        raise DomainError(f"{label}不能晚于今天。", field=field)


def _year(record, date_name: str) -> None:
    value = getattr(record, date_name)
    record.year = period_keys(value)["year"] if value else None


class AdoptionAssessment(TrackedDocument):
    case_number = StringField(required=True, unique=True, max_length=40, verbose_name="评估编号")
    child_alias = StringField(required=True, max_length=40, verbose_name="被收养儿童（化名或编号）")
    applicants = StringField(required=True, max_length=100, verbose_name="收养申请人")
    township = ReferenceField(Township, verbose_name="街道/乡镇")
    within_city = BooleanField(default=True, verbose_name="市区内")
    assigned_on = DateTimeField(required=True, verbose_name="民政局交办日期")
    home_visit_on = DateTimeField(verbose_name="入户评估日期")
    reported_on = DateTimeField(verbose_name="报告出具日期")
    status = StringField(choices=ADOPTION_STATES, default="assigned", verbose_name="状态")
    cost_fen = FenField(allow_zero=True, verbose_name="实际费用（元）")
    report = FileField(collection_name="adoption_files", verbose_name="评估报告")
    notes = StringField(max_length=1000, verbose_name="说明")
    year = StringField(verbose_name="年度")

    meta = {"collection": "adoption_assessments", "ordering": ["-assigned_on"], "indexes": ["status", "within_city", ("-assigned_on", "-id"), "year", "township"]}
    scope_field = "township"
    file_fields = ("report",)
    unaudited_fields = frozenset({"year"})

    def __str__(self):
        return f"收养评估 {self.case_number}"

    def duplicate_message(self, actor=None):
        return f"评估编号 {self.case_number} 已存在。"

    def prepare(self):
        _year(self, "assigned_on")
        if self.status != "withdrawn":
            self.status = "reported" if self.reported_on else ("visiting" if self.home_visit_on else "assigned")

    def check_rules(self):
        for name, label in (("assigned_on", "交办日期"), ("home_visit_on", "入户评估日期"), ("reported_on", "报告日期")):
            _not_future(getattr(self, name), label, name)
        if self.home_visit_on and self.home_visit_on < self.assigned_on:
            raise DomainError("入户评估日期不能早于交办日期。", field="home_visit_on")
        if self.reported_on:
            if not self.home_visit_on:
                raise DomainError("出具报告前请填写入户评估日期。", field="home_visit_on")
            if self.reported_on < self.home_visit_on:
                raise DomainError("报告日期不能早于入户评估日期。", field="reported_on")
            if self.cost_fen is None:
                raise DomainError("出具报告时请填写实际费用（据实结算）。", field="cost_fen")


class MarriageWork(TrackedDocument):
    work_date = DateTimeField(required=True, verbose_name="日期")
    kind = StringField(required=True, choices=MARRIAGE_KINDS, verbose_name="工作类别")
    content = StringField(required=True, max_length=1000, verbose_name="工作内容")
    volumes = StringField(max_length=100, verbose_name="整理档案（卷/件）或宣传份数")
    hours = FloatField(verbose_name="用时（小时）")
    staff = StringField(max_length=100, verbose_name="参与人员")
    year = StringField(verbose_name="年度")

    meta = {"collection": "marriage_work", "ordering": ["-work_date"], "indexes": [("-work_date", "-id"), "year", "kind"]}
    scope_field = DISTRICT_WIDE  # the station's marriage-register work, about no person on file
    unaudited_fields = frozenset({"year"})

    def __str__(self):
        return f"{self.work_date:%Y-%m-%d} {dict(MARRIAGE_KINDS).get(self.kind, '')}" if self.work_date else "婚姻工作"

    def prepare(self):
        _year(self, "work_date")

    def check_rules(self):
        _not_future(self.work_date, "日期", "work_date")
        if self.hours is not None and not 0 < self.hours <= 24:
            raise DomainError("用时须大于 0 且不超过 24 小时。", field="hours")


class MediaArticle(TrackedDocument):
    title = StringField(required=True, max_length=200, verbose_name="稿件标题")
    outlet = StringField(required=True, max_length=100, verbose_name="采用媒体")
    level = StringField(required=True, choices=MEDIA_LEVELS, verbose_name="媒体级别")
    published_on = DateTimeField(required=True, verbose_name="刊发日期")
    link = StringField(max_length=500, verbose_name="链接")
    scan = FileField(collection_name="media_files", verbose_name="版面截图/扫描件")
    author = StringField(max_length=60, verbose_name="作者")
    year = StringField(verbose_name="年度")

    meta = {"collection": "media_articles", "ordering": ["-published_on"], "indexes": [("-published_on", "-id"), "year", "level"]}
    scope_field = DISTRICT_WIDE  # the station's press articles
    file_fields = ("scan",)
    unaudited_fields = frozenset({"year"})

    def __str__(self):
        return self.title or "稿件"

    def prepare(self):
        _year(self, "published_on")

    def check_rules(self):
        _not_future(self.published_on, "刊发日期", "published_on")
        link = (self.link or "").strip()
        if link and not link.startswith(("http://", "https://")):
            raise DomainError("链接须以 http:// 或 https:// 开头。", field="link")
        if not link and not (self.scan and self.scan.grid_id):
            raise DomainError("请填写链接或上传版面截图，作为采用的证明。", field="link")


class BureauTask(TrackedDocument):
    title = StringField(required=True, max_length=200, verbose_name="任务")
    assigned_by = StringField(required=True, max_length=60, verbose_name="交办人/科室")
    assigned_on = DateTimeField(required=True, verbose_name="交办日期")
    due_on = DateTimeField(verbose_name="完成期限")
    owner = ReferenceField(User, verbose_name="承办人")
    status = StringField(required=True, choices=TASK_STATES, default="pending", verbose_name="状态")
    completed_on = DateTimeField(verbose_name="完成日期")
    result = StringField(max_length=2000, verbose_name="办理结果")
    attachment = FileField(collection_name="task_files", verbose_name="报送材料")

    meta = {"collection": "bureau_tasks", "ordering": ["status", "due_on"], "indexes": ["owner", "assigned_on", "status", "due_on"]}
    scope_field = DISTRICT_WIDE  # tasks the bureau gives the station
    file_fields = ("attachment",)

    def __str__(self):
        return self.title or "交办任务"

    @property
    def overdue(self) -> bool:
        return self.status != "done" and bool(self.due_on) and self.due_on.date() < local_today()

    def prepare(self):
        if self.completed_on:
            self.status = "done"
        elif self.status == "done":
            self.status = "in_progress"

    def check_rules(self):
        _not_future(self.assigned_on, "交办日期", "assigned_on")
        if self.due_on and self.due_on < self.assigned_on:
            raise DomainError("完成期限不能早于交办日期。", field="due_on")
        if self.completed_on:
            _not_future(self.completed_on, "完成日期", "completed_on")
            if self.completed_on < self.assigned_on:
                raise DomainError("完成日期不能早于交办日期。", field="completed_on")
            if not (self.result or "").strip():
                raise DomainError("完成时请填写办理结果。", field="result")
