"""Reference data: administrative divisions and person categories.

Loaded from ``seeds/`` files and editable by an admin."""

from mongoengine import BooleanField, IntField, ReferenceField, StringField

from .base import DISTRICT_WIDE, TrackedDocument
from .errors import DomainError
from .rules import forget_cached_rules

TOWNSHIP_KINDS = (("街道", "街道"), ("镇", "镇"), ("乡", "乡"), ("管委会", "管委会（乡级单位）"))
#: Checks a person category or a theme passes before it is saved or voided, registered by
#: the modules that know who refers to their codes (models.rule_checks): each is called
#: with the record.
CODE_CHECKS: list = []
CATEGORY_DOMAINS = (("child", "儿童"), ("elderly", "老年人"), ("homeless", "流浪乞讨人员"), ("other", "其他"))


class Coded:
    """What the reference data share: shown by name; a second record with a code already
    taken is refused naming the code (``code_label``: what the code is called)."""

    code_label = "代码"

    def __str__(self):
        return self.name or ""

    def duplicate_message(self, actor=None):
        return f"{self.code_label} {self.code} 已存在。"


class Township(Coded, TrackedDocument):
    """A township-level division (街道/乡镇): the unit of scoping."""

    code = StringField(required=True, unique=True, max_length=9, regex=r"^\d{9}$", verbose_name="区划代码")
    name = StringField(required=True, max_length=60, verbose_name="名称")
    kind = StringField(required=True, choices=TOWNSHIP_KINDS, verbose_name="类型")
    note = StringField(max_length=200, verbose_name="备注")
    sort_order = IntField(default=0, verbose_name="排序")

    meta = {"collection": "townships", "ordering": ["sort_order", "code"], "indexes": [("sort_order", "id")]}
    #: A township is scoped by itself: a user limited to some townships sees only those.
    scope_field = "id"
    code_label = "区划代码"


class Community(Coded, TrackedDocument):
    """A 社区 or 村委 under a township."""

    township = ReferenceField(Township, required=True, verbose_name="街道/乡镇")
    code = StringField(regex=r"^\d{12}$", max_length=12, unique=True, sparse=True, verbose_name="区划代码")
    name = StringField(required=True, max_length=60, verbose_name="名称")
    kind = StringField(choices=(("社区", "社区"), ("村委", "村委")), default="社区", verbose_name="类型")

    meta = {
        "collection": "communities",
        "ordering": ["township", "name"],
        "indexes": ["kind", ("township", "name")],
    }
    scope_field = "township"
    code_label = "区划代码"

    def check_rules(self):
        if self.code and self.township and not self.code.startswith(self.township.code):
            raise DomainError(
                f"社区/村委代码应以所属街道/乡镇代码 {self.township.code} 开头。", field="code"
            )


class ReferredByCode(Coded):
    """A person category or a theme: a code others refer to (rules, indicators) stays while
    they do, checked on save and on void (CODE_CHECKS)."""

    def check_rules(self):
        for check in CODE_CHECKS:
            check(self)  # a code something refers to stays (not renamed, not voided)

    def check_void(self):
        self.check_rules()


class PersonCategory(ReferredByCode, TrackedDocument):
    """A category a person can carry (农村留守儿童, 特困老人, ...)."""

    code = StringField(required=True, unique=True, max_length=40, regex=r"^[a-z_]+$", verbose_name="代码")
    name = StringField(required=True, max_length=40, verbose_name="名称")
    domain = StringField(required=True, choices=CATEGORY_DOMAINS, verbose_name="领域")
    definition = StringField(verbose_name="认定标准")
    basis = StringField(verbose_name="依据文件")
    designated = BooleanField(default=False, verbose_name="属于指定入户对象")
    sort_order = IntField(default=0, verbose_name="排序")

    meta = {"collection": "person_categories", "ordering": ["sort_order", "code"], "indexes": ["domain", "designated", ("sort_order", "id")]}
    scope_field = DISTRICT_WIDE  # reference data
    code_label = "类别代码"

    def after_write(self, before):
        forget_cached_rules()


THEME_KINDS = (("festival", "传统节日"), ("holiday", "节假日/纪念日"), ("topic", "宣传主题"), ("campaign", "专项行动"))


class ThemeTag(ReferredByCode, TrackedDocument):
    """A theme an event or a publicity activity can carry (春节, 预防溺水, 寒冬送温暖, ...).
    Contract checklists refer to these by code."""

    code = StringField(required=True, unique=True, max_length=40, regex=r"^[a-z_]+$", verbose_name="代码")
    name = StringField(required=True, max_length=40, verbose_name="名称")
    kind = StringField(required=True, choices=THEME_KINDS, verbose_name="类型")
    sort_order = IntField(default=0, verbose_name="排序")

    meta = {"collection": "theme_tags", "ordering": ["sort_order", "code"], "indexes": ["kind", ("sort_order", "id")]}
    scope_field = DISTRICT_WIDE  # reference data
    code_label = "主题代码"

