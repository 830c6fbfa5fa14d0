"""The three kinds of archive (children, elderly people, homeless people): their own
fields and their own rules."""

from mongoengine import (
    BooleanField,
    DateTimeField,
    EmbeddedDocumentField,
    FileField,
    ListField,
    StringField,
)

from ..errors import DomainError
from ..inputs import TEXT
from ..sensitivity import CONTENT, ID_NUMBER
from .choices import (
    ASSISTANCE,
    GUARDIANSHIP,
    HEALTH,
    HOMELESS_HEALTH,
    INCOME,
    LIVING,
    ORIGINS,
    RISK_LEVELS,
    SELF_CARE_ITEMS,
    SUPPORT_MODES,
)
from .document import Archive, ParentInfo


class ChildArchive(Archive):
    kind_key = "child"
    school = StringField(max_length=60, verbose_name="就读学校")
    grade = StringField(max_length=20, verbose_name="年级")
    boarding = BooleanField(default=False, verbose_name="是否寄宿")
    health = StringField(choices=HEALTH, verbose_name="健康状况")
    disability = StringField(max_length=60, verbose_name="残疾类别及等级")
    father = EmbeddedDocumentField(ParentInfo, verbose_name="父亲")
    mother = EmbeddedDocumentField(ParentInfo, verbose_name="母亲")
    carer_name = StringField(max_length=40, verbose_name="受委托监护人")
    carer_id_number = StringField(max_length=18, verbose_name="监护人身份证号", sensitive=ID_NUMBER)
    carer_phone = StringField(max_length=30, verbose_name="监护人电话")
    carer_relation = StringField(max_length=20, verbose_name="与儿童关系")
    carer_health = StringField(choices=HEALTH, verbose_name="监护人健康状况")
    grandparents = StringField(max_length=200, verbose_name="祖父母情况")
    entrustment_signed = BooleanField(default=False, verbose_name="已签委托监护确认书")
    entrustment_date = DateTimeField(verbose_name="确认书签订日期")
    entrustment_scan = FileField(collection_name="archive_files", verbose_name="确认书扫描件")
    family_economy = StringField(verbose_name="家庭经济状况")
    main_income = StringField(max_length=100, verbose_name="主要收入来源")
    assistance = ListField(StringField(choices=ASSISTANCE), verbose_name="已享受救助")
    child_director = StringField(max_length=60, input_kind=TEXT, verbose_name="儿童主任（姓名、电话）")
    problems = StringField(verbose_name="存在问题", sensitive=CONTENT)  # the family's troubles, in the worker's words
    needs = StringField(verbose_name="需求评估")
    help_goals = StringField(verbose_name="帮扶目标")
    guardianship = StringField(choices=GUARDIANSHIP, verbose_name="监护状况评估")
    harm_details = StringField(verbose_name="侵害情况（敏感）", sensitive=CONTENT)
    risk_level = StringField(choices=RISK_LEVELS, verbose_name="风险等级")
    risk_assessed_at = DateTimeField(verbose_name="风险评估日期")
    risk_review_requested = StringField(verbose_name="待重新评估（探访建议）")

    file_fields = ("entrustment_scan",)
    meta = {"indexes": ["risk_level", ("township", "risk_level"), "guardianship", "entrustment_signed"]}

    def check_kind_rules(self):
        if self.entrustment_signed and not self.entrustment_date:
            raise DomainError("已签委托监护确认书时，请填写签订日期。", field="entrustment_date")
        age = self.age
        if age is not None and age >= 18:
            raise DomainError(f"儿童档案的对象应未满 18 周岁（当前 {age} 岁）。", field="birth_date")
        for code in self._category_codes():
            if code == "left_behind_child" and age is not None and age >= 16:
                raise DomainError("农村留守儿童应未满 16 周岁。", field="categories")

    def _category_codes(self) -> list[str]:
        return [getattr(c, "code", None) for c in (self.categories or [])]


class ElderlyArchive(Archive):
    kind_key = "elderly"
    meta = {"indexes": ["capability_level", "next_assessment_due", "living_arrangement", "support_mode"]}
    living_arrangement = StringField(choices=LIVING, verbose_name="居住情况")
    children_whereabouts = StringField(max_length=200, verbose_name="子女情况及去向")
    support_mode = StringField(choices=SUPPORT_MODES, verbose_name="特困供养方式")
    self_care_met = ListField(StringField(choices=SELF_CARE_ITEMS), verbose_name="能自主完成的日常活动")
    self_care_level = StringField(verbose_name="生活自理能力")
    institution = StringField(max_length=80, verbose_name="所在养老机构")
    income_sources = ListField(StringField(choices=INCOME), verbose_name="收入来源")
    medical_insurance = StringField(max_length=40, verbose_name="医疗保险")
    diseases = StringField(verbose_name="疾病诊断")
    capability_level = StringField(verbose_name="能力评估等级")
    capability_assessed_at = DateTimeField(verbose_name="能力评估日期")
    next_assessment_due = DateTimeField(verbose_name="下次评估日期")

    def prepare(self):
        super().prepare()
        self.self_care_level = self_care_level(self.self_care_met or [])

    def check_kind_rules(self):
        age = self.age
        if age is not None and age < 60:
            raise DomainError(f"老年人档案的对象应年满 60 周岁（当前 {age} 岁）。", field="birth_date")
        codes = [getattr(c, "code", None) for c in (self.categories or [])]
        if "oldest_old" in codes and age is not None and age < 80:
            raise DomainError("高龄老人应年满 80 周岁。", field="categories")
        if "institution_childless_elderly" in codes and not self.institution:
            raise DomainError("养老机构孤寡老人请填写所在养老机构。", field="institution")


def self_care_level(met: list[str]) -> str:
    """特困人员生活自理能力 from the six daily activities (民发〔2021〕43号)."""
    not_met = len(SELF_CARE_ITEMS) - len(set(met))
    if not_met == 0:
        return "具备生活自理能力"
    if not_met <= 3:
        return "部分丧失生活自理能力"
    return "完全丧失生活自理能力"


class HomelessArchive(Archive):
    kind_key = "homeless"
    meta = {"indexes": ["origin", "health_state", "rescue_system_entered", "anonymous"]}
    anonymous = BooleanField(default=False, verbose_name="身份不明")
    description = StringField(verbose_name="体貌特征")
    photo = FileField(collection_name="archive_files", verbose_name="照片")
    found_at = DateTimeField(verbose_name="发现时间")
    found_place = StringField(max_length=120, verbose_name="发现地点")
    origin = StringField(choices=ORIGINS, verbose_name="籍贯来源")
    origin_detail = StringField(max_length=120, verbose_name="籍贯详情")
    family_contact = StringField(max_length=120, verbose_name="家属联系方式")
    health_state = StringField(choices=HOMELESS_HEALTH, verbose_name="健康状况")
    begging_cause = StringField(verbose_name="流浪乞讨原因及经过")
    belongings = StringField(max_length=200, verbose_name="随身物品")
    rescue_system_entered = BooleanField(default=False, verbose_name="已录入全国救助管理信息系统")
    rescue_system_number = StringField(max_length=40, verbose_name="救助系统编号")

    file_fields = ("photo",)

    def prepare(self):
        if self.anonymous and not (self.name or "").strip():
            self.name = "身份不明人员"
        super().prepare()

    def check_kind_rules(self):
        if self.rescue_system_entered and not self.rescue_system_number:
            raise DomainError("已录入全国救助管理信息系统时，请填写系统编号。", field="rescue_system_number")
        if self.anonymous and not (self.description or "").strip():
            raise DomainError("身份不明人员请填写体貌特征，便于辨认。", field="description")


ARCHIVE_KINDS = {"child": ChildArchive, "elderly": ElderlyArchive, "homeless": HomelessArchive}
