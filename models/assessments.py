"""Assessments kept as history: child risk (一级/二级/三级) and elderly
capability (GB/T 42195-2022). The latest one sets the level stored on the
archive, for filtering and for the visit schedule."""

import calendar
import datetime as dt

from mongoengine import (
    BooleanField,
    DateTimeField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)

from .archives import RISK_LABELS, RISK_LEVELS, ChildArchive, ElderlyArchive
from .base import TrackedDocument
from .clock import local_today
from .errors import DomainError
from .reference import Township
from .rules import get_rules
from .services import create_record, snapshot, update_record

ASSESSMENT_REASONS = (("first", "首次评估"), ("routine", "常规评估"), ("immediate", "即时评估"),
                      ("review", "复评"), ("other", "其他"))
DIAGNOSES = (("none", "无"), ("dementia", "痴呆（F00-F03）"), ("mental", "其他精神和行为障碍（F04-F99）"))


# ---------------------------------------------------------------- child risk


def score_risk(factor_codes: list[str], rules: dict | None = None) -> tuple[int, str]:
    """(score, suggested level '1'/'2'/'3') from the ticked risk factors."""
    rules = rules or get_rules("archive_rules")["risk"]
    factors = {f["code"]: f for f in rules["factors"]}
    unknown = [c for c in factor_codes if c not in factors]
    if unknown:
        raise DomainError(f"未知的风险因素：{'、'.join(unknown)}", field="factors")
    chosen = [factors[c] for c in dict.fromkeys(factor_codes)]
    score = sum(int(f["score"]) for f in chosen)
    if any(f.get("force_level_one") for f in chosen) or score >= int(rules["level_one_score"]):
        return score, "1"
    if score >= int(rules["level_two_score"]):
        return score, "2"
    return score, "3"


class RiskAssessment(TrackedDocument):
    person = ReferenceField(ChildArchive, required=True, verbose_name="儿童")
    township = ReferenceField(Township, required=True, verbose_name="街道/乡镇")
    assessed_on = DateTimeField(required=True, verbose_name="评估日期")
    factors = ListField(StringField(), verbose_name="风险因素")
    factor_labels = ListField(StringField(), verbose_name="风险因素")
    score = IntField(verbose_name="分值")
    suggested_level = StringField(choices=RISK_LEVELS, verbose_name="建议等级")
    final_level = StringField(required=True, choices=RISK_LEVELS, verbose_name="最终等级")
    reason = StringField(verbose_name="等级理由")
    assessor = StringField(required=True, max_length=40, verbose_name="评估人")

    meta = {"collection": "risk_assessments", "ordering": ["-assessed_on"],
            "indexes": [("person", "-assessed_on"), "township", ("-assessed_on", "-id")]}
    scope_field = "township"

    def __str__(self):
        return f"{self.assessed_on:%Y-%m-%d} {RISK_LABELS.get(self.final_level, '')}"

    def check_rules(self):
        if self.assessed_on.date() > local_today():
            raise DomainError("评估日期不能晚于今天。", field="assessed_on")
        if self.final_level != self.suggested_level and not (self.reason or "").strip():
            raise DomainError(
                f"最终等级与建议等级（{RISK_LABELS[self.suggested_level]}）不同，请写明调整理由。", field="reason")


def record_risk_assessment(child: ChildArchive, factors: list[str], final_level: str | None, reason: str,
                           assessor: str, assessed_on: dt.datetime, actor) -> RiskAssessment:
    """Keep the assessment and set the child's current level from the latest one."""
    rules = get_rules("archive_rules")["risk"]
    score, suggested = score_risk(factors, rules)
    labels = {f["code"]: f["label"] for f in rules["factors"]}
    assessment = RiskAssessment(
        person=child, township=child.township, assessed_on=assessed_on, factors=list(dict.fromkeys(factors)),
        factor_labels=[labels[c] for c in dict.fromkeys(factors)], score=score, suggested_level=suggested,
        final_level=final_level or suggested, reason=(reason or "").strip() or None, assessor=assessor,
    )
    create_record(assessment, actor)
    _apply_latest_risk(child, actor)
    return assessment


def _apply_latest_risk(child: ChildArchive, actor) -> None:
    latest = RiskAssessment.objects(person=child, voided=False).order_by("-assessed_on", "-created_at", "-id").first()
    fresh = ChildArchive.objects(pk=child.pk).first()
    before = snapshot(fresh)
    fresh.risk_level = latest.final_level if latest else None
    fresh.risk_assessed_at = latest.assessed_on if latest else None
    fresh.risk_review_requested = None
    update_record(fresh, before, fresh.version, actor)
    child.risk_level, child.risk_assessed_at, child.version = fresh.risk_level, fresh.risk_assessed_at, fresh.version


# ---------------------------------------------------------------- elderly capability


class ItemScore(EmbeddedDocument):
    code = StringField(required=True, verbose_name="项目")
    name = StringField(verbose_name="项目名称")
    score = IntField(required=True, verbose_name="得分")

    def __str__(self):
        return f"{self.name or self.code} {self.score}"


class DimensionTotal(EmbeddedDocument):
    code = StringField(required=True)
    name = StringField(verbose_name="维度")
    score = IntField(verbose_name="得分")
    max_score = IntField(verbose_name="满分")

    def __str__(self):
        return f"{self.name} {self.score}/{self.max_score}"


def _level_index(levels: list[dict], name: str) -> int:
    return [level["name"] for level in levels].index(name)


def score_capability(scores: dict[str, int], coma: bool = False, diagnosis: str = "none",
                     care_risk_events: int = 0, standard: dict | None = None) -> dict:
    """Totals per dimension, total, the level by score, and the adjusted level."""
    standard = standard or get_rules("capability_standard")
    dimensions, total, problems = [], 0, []
    for dimension in standard["dimensions"]:
        subtotal, maximum = 0, 0
        for item in dimension["items"]:
            value = scores.get(item["code"])
            if value is None:
                problems.append(item["name"])
                continue
            if not 0 <= int(value) <= int(item["max"]):
                raise DomainError(f"“{item['name']}”的得分应在 0 到 {item['max']} 之间。", field=item["code"])
            subtotal += int(value)
            maximum += int(item["max"])
        dimensions.append({"code": dimension["code"], "name": dimension["name"], "score": subtotal,
                           "max_score": sum(int(i["max"]) for i in dimension["items"])})
        total += subtotal
    if problems:
        raise DomainError(f"还有 {len(problems)} 个评估项目未打分：{'、'.join(problems)}。", field="scores")
    levels = standard["levels"]
    base = next(level["name"] for level in levels if total >= int(level["min"]))
    index = _level_index(levels, base)
    adjustments = []
    if coma:
        index = max(index, _level_index(levels, standard["coma_level"]))
        adjustments.append(f"昏迷，直接评定为{standard['coma_level']}")
    else:
        if diagnosis in ("dementia", "mental"):
            index += int(standard["worse_for_dementia_or_mental_disorder"])
            adjustments.append("确诊痴呆或精神障碍，等级提高一级")
        if care_risk_events >= int(standard["care_risk_events_threshold"]):
            index += int(standard["worse_for_care_risk_events"])
            adjustments.append(f"近30天发生照护风险事件 {care_risk_events} 次，等级提高一级")
    index = min(index, len(levels) - 1)
    return {"dimensions": dimensions, "total": total, "base_level": base, "level": levels[index]["name"],
            "adjustments": adjustments}


class CapabilityAssessment(TrackedDocument):
    person = ReferenceField(ElderlyArchive, required=True, verbose_name="老年人")
    township = ReferenceField(Township, required=True, verbose_name="街道/乡镇")
    assessed_on = DateTimeField(required=True, verbose_name="评估日期")
    reason = StringField(choices=ASSESSMENT_REASONS, default="first", verbose_name="评估原因")
    items = ListField(EmbeddedDocumentField(ItemScore), verbose_name="各项得分")
    dimensions = ListField(EmbeddedDocumentField(DimensionTotal), verbose_name="维度得分")
    coma = BooleanField(default=False, verbose_name="昏迷")
    diagnosis = StringField(choices=DIAGNOSES, default="none", verbose_name="痴呆或精神障碍诊断")
    care_risk_events = IntField(default=0, min_value=0, verbose_name="近30天照护风险事件次数")
    total = IntField(verbose_name="总分")
    base_level = StringField(verbose_name="按分数的等级")
    level = StringField(verbose_name="评定等级")
    adjustments = ListField(StringField(), verbose_name="等级调整")
    assessor_one = StringField(required=True, max_length=40, verbose_name="评估员一")
    assessor_two = StringField(required=True, max_length=40, verbose_name="评估员二")
    next_due = DateTimeField(verbose_name="下次评估日期")

    meta = {"collection": "capability_assessments", "ordering": ["-assessed_on"],
            "indexes": [("person", "-assessed_on"), "township", ("-assessed_on", "-id")]}
    scope_field = "township"

    def __str__(self):
        return f"{self.assessed_on:%Y-%m-%d} {self.level}（{self.total}分）"

    def check_rules(self):
        if self.assessed_on.date() > local_today():
            raise DomainError("评估日期不能晚于今天。", field="assessed_on")
        if (self.assessor_one or "").strip() == (self.assessor_two or "").strip():
            raise DomainError("须由两名不同的评估员签名。", field="assessor_two")


def add_months(day: dt.datetime, months: int) -> dt.datetime:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def record_capability_assessment(person: ElderlyArchive, scores: dict[str, int], *, assessed_on: dt.datetime,
                                 reason: str, assessor_one: str, assessor_two: str, coma: bool = False,
                                 diagnosis: str = "none", care_risk_events: int = 0,
                                 actor=None) -> CapabilityAssessment:
    standard = get_rules("capability_standard")
    result = score_capability(scores, coma, diagnosis, care_risk_events, standard)
    names = {i["code"]: i["name"] for d in standard["dimensions"] for i in d["items"]}
    assessment = CapabilityAssessment(
        person=person, township=person.township, assessed_on=assessed_on, reason=reason,
        items=[ItemScore(code=c, name=names[c], score=int(v)) for c, v in scores.items() if c in names],
        dimensions=[DimensionTotal(**d) for d in result["dimensions"]], coma=coma, diagnosis=diagnosis,
        care_risk_events=care_risk_events, total=result["total"], base_level=result["base_level"],
        level=result["level"], adjustments=result["adjustments"], assessor_one=assessor_one,
        assessor_two=assessor_two, next_due=add_months(assessed_on, int(standard["reassess_months"])),
    )
    create_record(assessment, actor)
    latest = CapabilityAssessment.objects(person=person, voided=False).order_by("-assessed_on", "-created_at", "-id").first()
    fresh = ElderlyArchive.objects(pk=person.pk).first()
    before = snapshot(fresh)
    fresh.capability_level = latest.level
    fresh.capability_assessed_at = latest.assessed_on
    fresh.next_assessment_due = latest.next_due
    update_record(fresh, before, fresh.version, actor)
    person.capability_level, person.version = fresh.capability_level, fresh.version
    return assessment

