"""The project's staff roster and the plan's staffing rules (项目配备人员):
at least 6 staff, at least 4 full-time with at least one man among them,
full-time staff qualified by degree and major or by certificate, at least 2 on
street rescue. The numbers and lists are data in the ``service_rules`` set."""

import datetime as dt

from mongoengine import BooleanField, DateTimeField, ReferenceField, StringField

from .base import DISTRICT_WIDE, TrackedDocument
from .clock import local_today
from .errors import DomainError
from .rules import get_rules
from .users import User

EMPLOYMENT = (("full_time", "专职"), ("part_time", "兼职"))
EDUCATION = (("master", "研究生"), ("bachelor", "本科"), ("college", "大专"), ("high_school", "高中/中专及以下"))
MAJOR_FIELDS = (("social_work", "社会工作"), ("sociology", "社会学"), ("psychology", "心理学"), ("health", "健康"),
                ("nursing", "护理"), ("law", "法学"), ("education", "教育学"), ("other", "其他专业"))


class StaffMember(TrackedDocument):
    name = StringField(required=True, max_length=40, verbose_name="姓名")
    sex = StringField(required=True, choices=(("男", "男"), ("女", "女")), verbose_name="性别")
    employment = StringField(required=True, choices=EMPLOYMENT, verbose_name="用工方式")
    education = StringField(required=True, choices=EDUCATION, verbose_name="学历")
    major = StringField(max_length=60, verbose_name="所学专业")
    major_field = StringField(required=True, choices=MAJOR_FIELDS, verbose_name="专业类别")
    certificates = StringField(max_length=200, verbose_name="证书（如助理社会工作师、心理咨询师）")
    relevant_certificate = BooleanField(default=False, verbose_name="持有相关资质证书")
    post = StringField(required=True, max_length=40, verbose_name="岗位")
    street_rescue = BooleanField(default=False, verbose_name="从事流浪乞讨救助工作")
    phone = StringField(max_length=20, verbose_name="电话")
    account = ReferenceField(User, verbose_name="系统账户")
    started_on = DateTimeField(required=True, verbose_name="入职日期")
    ended_on = DateTimeField(verbose_name="离职日期")

    meta = {"collection": "staff_members", "ordering": ["name"], "indexes": ["employment", "sex", "education", "major_field", "street_rescue", "started_on", "ended_on"]}
    scope_field = DISTRICT_WIDE  # the project's staff roster

    def __str__(self):
        return self.name or "工作人员"

    def check_rules(self):
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            raise DomainError("离职日期不能早于入职日期。", field="ended_on")
        if self.relevant_certificate and not (self.certificates or "").strip():
            raise DomainError("勾选“持有相关资质证书”时请填写证书名称。", field="certificates")

    def on_staff(self, day: dt.date) -> bool:
        return self.started_on.date() <= day and (self.ended_on is None or self.ended_on.date() >= day)

    def qualified(self) -> bool:
        rules = get_rules("service_rules")["staffing"]
        degree = self.education in rules["qualified_education"] and self.major_field in rules["qualified_majors"]
        return degree or bool(self.relevant_certificate)


def staffing_check(day: dt.date | None = None) -> dict:
    """Each staffing rule on a day: required, actual, met, and who counts."""
    day = day or local_today()
    rules = get_rules("service_rules")["staffing"]
    staff = [s for s in StaffMember.objects(voided=False) if s.on_staff(day)]
    full_time = [s for s in staff if s.employment == "full_time"]
    male_full_time = [s for s in full_time if s.sex == "男"]
    rescue = [s for s in staff if s.street_rescue]
    unqualified = [s for s in full_time if not s.qualified()]

    def rule(label, required, people):
        return {"label": label, "required": required, "actual": len(people), "met": len(people) >= required,
                "names": "、".join(p.name for p in people), "people": people}

    checks = [
        rule("工作人员总数", int(rules["min_total"]), staff),
        rule("专职工作人员", int(rules["min_full_time"]), full_time),
        rule("男性专职工作人员", int(rules["min_male_full_time"]), male_full_time),
        rule("流浪乞讨救助工作人员", int(rules["min_street_rescue"]), rescue),
        {"label": "专职人员学历专业或资质", "required": "全部符合", "actual": f"{len(full_time) - len(unqualified)}/{len(full_time)}",
         "met": not unqualified and bool(full_time),
         "names": ("不符合：" + "、".join(s.name for s in unqualified)) if unqualified else "全部符合"},
    ]
    return {"day": day, "checks": checks, "met": all(c["met"] for c in checks), "staff": staff}
