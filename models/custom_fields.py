"""Extra archive fields an admin defines without code."""

import datetime as dt
import secrets

from mongoengine import BooleanField, IntField, StringField

from .base import DISTRICT_WIDE, TrackedDocument
from .dates import parse_date
from .errors import DomainError

FIELD_KINDS = (("text", "文本"), ("number", "数字"), ("date", "日期"), ("choice", "单选"), ("bool", "是/否"))
ARCHIVE_KIND_CHOICES = (("all", "所有档案"), ("child", "儿童"), ("elderly", "老年人"), ("homeless", "流浪乞讨人员"))


class CustomField(TrackedDocument):
    archive_kind = StringField(required=True, choices=ARCHIVE_KIND_CHOICES, default="all", verbose_name="适用档案")
    key = StringField(unique=True, max_length=20, regex=r"^f_[a-z0-9]{4,16}$", verbose_name="内部代码")
    label = StringField(required=True, max_length=30, verbose_name="字段名称")
    kind = StringField(required=True, choices=FIELD_KINDS, default="text", verbose_name="类型")
    required = BooleanField(default=False, verbose_name="必填")
    choices_text = StringField(verbose_name="选项（每行一个，单选时填写）")
    sort_order = IntField(default=0, verbose_name="排序")
    active = BooleanField(default=True, verbose_name="启用")

    meta = {"collection": "custom_fields", "ordering": ["sort_order", "label"], "indexes": ["archive_kind", "kind", "active"]}
    scope_field = DISTRICT_WIDE  # reference data: archive fields defined by the admin
    unaudited_fields = frozenset({"key"})  # made by the system once (prepare), never typed or changed

    def __str__(self):
        return self.label or ""

    @property
    def choices(self) -> list[str]:
        return [line.strip() for line in (self.choices_text or "").splitlines() if line.strip()]

    def prepare(self):
        if not self.key:
            self.key = "f_" + secrets.token_hex(3)

    def check_rules(self):
        if self.kind == "choice" and len(self.choices) < 2:
            raise DomainError("单选字段请至少填写两个选项，每行一个。", field="choices_text")

    def clean_value(self, raw):
        """The stored value for raw input (form or Excel), or a DomainError."""
        field = f"cf_{self.key}"
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if self.required:
                raise DomainError(f"“{self.label}”为必填项。", field=field)
            return None
        if self.kind == "number":
            try:
                return float(raw) if "." in str(raw) else int(raw)
            except ValueError as exc:
                raise DomainError(f"“{self.label}”应为数字。", field=field) from exc
        if self.kind == "date":
            if isinstance(raw, (dt.date, dt.datetime)):
                return raw.strftime("%Y-%m-%d")

            day = parse_date(str(raw))
            if day is None:
                raise DomainError(f"“{self.label}”应为日期，例如 2026-03-05。", field=field)
            return day.strftime("%Y-%m-%d")
        if self.kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip()
            if text in ("是", "y", "Y", "1", "true", "True"):
                return True
            if text in ("否", "n", "N", "0", "false", "False"):
                return False
            raise DomainError(f"“{self.label}”应填“是”或“否”。", field=field)
        if self.kind == "choice":
            text = str(raw).strip()
            if text not in self.choices:
                raise DomainError(f"“{self.label}”只能是：{'、'.join(self.choices)}。", field=field)
            return text
        return str(raw).strip()[:500]

    def display(self, value) -> str:
        if value is None:
            return ""
        if self.kind == "bool":
            return "是" if value else "否"
        return str(value)


def definitions_for(kind_key: str) -> list[CustomField]:
    kinds = ["all"] if kind_key == "all" else ["all", kind_key]
    return list(CustomField.objects(archive_kind__in=kinds, active=True, voided=False).order_by("sort_order", "label"))
