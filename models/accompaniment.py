"""Hospital accompaniment (住院陪护) of 分散供养特困人员, under the plan's three
limits: once per person per year, at most 7 days each time, at most 2 people
accompanied at the same time (all editable in the ``service_rules`` rule set)."""

import datetime as dt

from mongoengine import DateTimeField, IntField, ReferenceField, StringField

from .archives import SUPPORT_MODES, Archive
from .base import TrackedDocument, ref_id
from .errors import DomainError
from .loading import related
from .periods import period_keys
from .reference import PersonCategory, Township
from .rules import get_rules, seed_rules
from .timeline import on_timeline


def eligibility_rules() -> tuple[list[str], str]:
    """(category codes, support mode) a person needs for 住院陪护, from the rule set
    (a rule set saved before these keys existed takes them from the seed)."""
    rules = get_rules("service_rules")["accompaniment"]
    seed = seed_rules("service_rules")["accompaniment"]
    codes = rules.get("categories") or ([rules["category"]] if rules.get("category") else seed["categories"])
    return list(codes), rules.get("support_mode") or seed["support_mode"]


def eligible_categories() -> dict:
    """{code: category} of the categories 住院陪护 serves (one read; pass it on when judging many)."""
    codes, _ = eligibility_rules()
    return {c.code: c for c in PersonCategory.objects(code__in=codes).only("code", "name")}


def ineligibility(person, categories: dict | None = None) -> str | None:
    """Why ``person`` may not be accompanied (住院陪护 serves 分散供养特困人员:
    category 特困人员 or 特困老人, and 供养方式 分散供养), or None when they may."""
    codes, mode = eligibility_rules()
    name = getattr(person, "name", "")
    categories = eligible_categories() if categories is None else categories
    held = {ref_id(c) for c in getattr(person, "categories", None) or []}
    wanted = "或".join(categories[code].name if code in categories else code for code in codes)
    mode_label = dict(SUPPORT_MODES).get(mode, mode)
    if not held & {c.pk for c in categories.values()}:
        return (f"“{name}”不是{wanted}：住院陪护只服务{mode_label}特困人员。"
                "如属实，请先在档案中补充对象类别。")
    actual = getattr(person, "support_mode", None)
    if actual != mode:
        if actual:
            return (f"“{name}”的特困供养方式是{dict(SUPPORT_MODES).get(actual, actual)}：住院陪护只服务"
                    f"{mode_label}特困人员（集中供养人员由供养机构负责照料）。")
        return (f"“{name}”的档案未填写特困供养方式：住院陪护只服务{mode_label}特困人员，"
                "请先在老年人档案中填写“特困供养方式”。")
    return None


@on_timeline("person", "-start_date")
class Accompaniment(TrackedDocument):
    person = ReferenceField(Archive, required=True, verbose_name="陪护对象（分散供养特困人员）")
    township = ReferenceField(Township, verbose_name="街道/乡镇")
    hospital = StringField(required=True, max_length=100, verbose_name="医院")
    ward = StringField(max_length=60, verbose_name="科室/床号")
    start_date = DateTimeField(required=True, verbose_name="开始日期")
    end_date = DateTimeField(required=True, verbose_name="结束日期（未结束时填预计）")
    companions = StringField(required=True, max_length=100, verbose_name="陪护人员")
    notes = StringField(max_length=1000, verbose_name="陪护情况")
    days = IntField(verbose_name="天数")
    year = StringField(verbose_name="年度")

    meta = {"collection": "accompaniments", "ordering": ["-start_date"],
            "indexes": ["person", "township", "year", ("start_date", "id"), "end_date"]}
    scope_field = "township"
    unaudited_fields = frozenset({"days", "year"})

    def __str__(self):
        return f"{getattr(self.person, 'name', '')} {self.hospital or ''}陪护"

    def timeline_events(self, person_id) -> list[dict]:
        return [{"at": self.start_date, "kind": "住院陪护",
                 "text": f"{self.hospital} {self.start_date:%m-%d} 至 {self.end_date:%m-%d}（{self.days} 天）",
                 "who": self.companions}]

    def prepare(self):
        if self.person is not None and not self.township:
            self.township = getattr(self.person, "township", None)
        if self.start_date and self.end_date:
            self.days = (self.end_date.date() - self.start_date.date()).days + 1
        if self.start_date:
            self.year = period_keys(self.start_date)["year"]

    def check_rules(self):
        if self.voided:
            return
        rules = get_rules("service_rules")["accompaniment"]
        person = self.person
        refusal = ineligibility(person)
        if refusal:
            raise DomainError(refusal, field="person")
        if self.end_date < self.start_date:
            raise DomainError("结束日期不能早于开始日期。", field="end_date")
        if self.days > int(rules["max_days"]):
            raise DomainError(f"一次陪护不超过 {rules['max_days']} 天：本次 {self.start_date:%Y-%m-%d} 至 "
                              f"{self.end_date:%Y-%m-%d} 共 {self.days} 天。", field="end_date")
        others = Accompaniment.objects(voided=False, pk__ne=self.pk)
        same_year = list(others.filter(person=person.pk, year=self.year))
        if len(same_year) >= int(rules["per_person_per_year"]):
            earlier = same_year[0]
            raise DomainError(f"“{person.name}”今年已陪护过 {len(same_year)} 次（{earlier.start_date:%Y-%m-%d} 在"
                              f"{earlier.hospital}）：每名特困人员每年 {rules['per_person_per_year']} 次。", field="person")
        overlapping = related(others.filter(start_date__lte=self.end_date, end_date__gte=self.start_date)
                              .order_by("start_date"))
        limit = int(rules["max_concurrent"])
        day = self.start_date.date()
        while day <= self.end_date.date():
            moment = dt.datetime.combine(day, dt.time())
            at_once = [a for a in overlapping if a.start_date <= moment <= a.end_date]
            if len(at_once) + 1 > limit:
                names = "、".join(getattr(a.person, "name", "") for a in at_once)
                raise DomainError(f"{day:%Y-%m-%d} 已在陪护 {len(at_once)} 人（{names}）：同时陪护不超过 {limit} 人。",
                                  field="start_date")
            day += dt.timedelta(days=1)
