"""Rule sets kept as data: seeded from ``seeds/*.json``, editable by an admin in
the app (as JSON, checked before saving). Domain code reads them from here."""

import json
import threading
from pathlib import Path

from cachetools import TTLCache
from mongoengine import StringField

from .base import DISTRICT_WIDE, TrackedDocument
from .errors import DomainError

RULE_SETS = {
    "archive_rules": "档案完整性与儿童风险评估规则",
    "capability_standard": "老年人能力评估标准（GB/T 42195-2022）",
    "visit_policy": "探访频次、巡查与儿童保护处置时限",
    "service_rules": "个案、小组、活动、陪护、抽查与人员配备规则",
    "todo_rules": "待办提醒期限",
}


#: What the modules above this one check in a rule set before it is saved (the codes it
#: names exist, the choices it names are offered) and do after an admin's edit is saved
#: (recompute what is stored from it): registered by them (models.rule_checks), run in order.
#: A check is called with (key, content), a reaction with the saved rule set.
CONTENT_CHECKS: list = []
AFTER_EDIT: list = []


class RuleSet(TrackedDocument):
    key = StringField(required=True, unique=True, choices=tuple(RULE_SETS.items()), verbose_name="规则")
    content = StringField(required=True, verbose_name="规则内容（JSON）")
    note = StringField(max_length=500, verbose_name="修改说明")

    meta = {"collection": "rule_sets"}
    scope_field = DISTRICT_WIDE  # reference data: the business rules

    def __str__(self):
        return RULE_SETS.get(self.key, self.key or "")

    def after_write(self, before):
        forget_cached_rules()
        if before is not None:  # an edit (not the seed's first load): what is stored from it follows
            for react in AFTER_EDIT:
                react(self)

    def parsed(self) -> dict:
        return json.loads(self.content)

    def check_rules(self):
        try:
            data = json.loads(self.content or "")
        except json.JSONDecodeError as exc:
            raise DomainError(f"规则内容不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列附近有错误。",
                              field="content") from exc
        CHECKS.get(self.key, lambda d: None)(data)
        for check in CONTENT_CHECKS:
            check(self.key, data)  # e.g. the codes it names exist; codes others name in it stay


def _check_archive_rules(data: dict) -> None:
    try:
        completeness, risk = data["completeness"], data["risk"]
        for kind in ("common", "child", "elderly", "homeless"):
            if not isinstance(completeness[kind], dict):
                raise TypeError
        if not 0 < risk["level_two_score"] <= risk["level_one_score"]:
            raise DomainError("风险评估分值：二级分数线须大于 0 且不高于一级分数线。", field="content")
        for factor in risk["factors"]:
            factor["code"], factor["label"], int(factor["score"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DomainError("规则内容缺少必要项目（completeness 的 common/child/elderly/homeless，"
                          "risk 的 level_one_score、level_two_score、factors）。", field="content") from exc


def _check_capability(data: dict) -> None:
    try:
        levels = data["levels"]
        mins = [int(level["min"]) for level in levels]
        if mins != sorted(mins, reverse=True) or mins[-1] != 0:
            raise DomainError("能力等级须按分数线从高到低排列，最后一级从 0 分开始。", field="content")
        for dimension in data["dimensions"]:
            for item in dimension["items"]:
                item["code"], item["name"], int(item["max"])
        int(data["reassess_months"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DomainError("规则内容缺少必要项目（levels、dimensions、reassess_months）。", field="content") from exc


def _check_visit_policy(data: dict) -> None:
    try:
        for policy in data["policies"]:
            if policy["period"] not in ("week", "month", "quarter", "year"):
                raise DomainError(f"探访规则“{policy['name']}”的周期只能是 week、month、quarter、year。", field="content")
            if policy["kind"] not in ("child", "elderly", "homeless"):
                raise DomainError(f"探访规则“{policy['name']}”的对象类型只能是 child、elderly、homeless。", field="content")
            if int(policy["visits_required"]) < 1:
                raise DomainError(f"探访规则“{policy['name']}”每期至少探访 1 次。", field="content")
            list(policy["risk_levels"]), list(policy["categories"]), policy["code"]
        if int(data["patrol_minimum_per_week"]) < 0:
            raise ValueError
        if "register_policy" in data and not isinstance(data["register_policy"], str):
            raise TypeError
        deadlines = data["concern_deadlines_hours"]
        int(deadlines["report"]), int(deadlines["handle"]), int(deadlines["close"])
        list(data["counting_modes"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DomainError(VISIT_POLICY_INCOMPLETE, field="content") from exc


VISIT_POLICY_INCOMPLETE = ("规则内容缺少必要项目（policies、counting_modes、patrol_minimum_per_week、"
                           "concern_deadlines_hours，street_rescue_calls 的 code、label、action、text）。")


COMPARISONS = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b,
               "<=": lambda a, b: a <= b, "==": lambda a, b: a == b}


def compare(value, condition: dict) -> bool:
    """``value`` against a rule condition such as ``{"op": ">", "value": 2}``."""
    return COMPARISONS[condition["op"]](value, condition["value"])


def describe(condition: dict, unit: str = "") -> str:
    """A condition as a person reads it: "> 2 次"."""
    return f"{condition['op']} {condition['value']:g}{(' ' + unit) if unit else ''}"


def _check_service_rules(data: dict) -> None:
    try:
        conditions = [data["cases"]["consultation"]["sessions"], data["cases"]["consultation"]["hours"],
                      data["cases"]["professional"]["sessions"], data["cases"]["professional"]["hours"],
                      data["groups"]["sessions"], data["groups"]["session_hours"], data["events"]["large"],
                      data["events"]["small_min"], data["events"]["small_max"], data["volunteer_activity_hours"],
                      data["training_hours"]]
        for condition in conditions:
            if condition["op"] not in COMPARISONS:
                raise DomainError(f"比较方式只能是 {'、'.join(COMPARISONS)}。", field="content")
            if float(condition["value"]) < 0:
                raise DomainError("规则中的数值不能为负数。", field="content")
        if not 0 < float(data["max_hours_per_day"]) <= 24:
            raise DomainError("每日最多服务时数须在 0 到 24 之间。", field="content")
        accompaniment = data["accompaniment"]
        if "categories" in accompaniment and not [str(c) for c in accompaniment["categories"]]:
            raise DomainError("陪护对象类别（accompaniment.categories）至少填一个。", field="content")
        if min(int(accompaniment[k]) for k in ("per_person_per_year", "max_days", "max_concurrent")) < 1:
            raise DomainError("陪护规则的次数、天数、人数都至少为 1。", field="content")
        for key in ("onsite_min_share", "quality_min_share"):
            if not 0 < float(data["subsidy"][key]) <= 1:
                raise DomainError("抽查比例须在 0 到 1 之间（如 0.02 表示 2%）。", field="content")
        staffing = data["staffing"]
        for key in ("min_total", "min_full_time", "min_male_full_time", "min_street_rescue"):
            int(staffing[key])
        list(staffing["qualified_education"]), list(staffing["qualified_majors"])
        float(data["visit_volunteer_hours"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DomainError("规则内容缺少必要项目（cases、groups、events、accompaniment、subsidy、staffing 等）。",
                          field="content") from exc


#: The numbers of the to-do rules (models.todo): whole days, hours or months, none negative.
TO_DO_NUMBERS = ("visit_due_soon_days", "concern_warning_hours", "reassessment_lead_days", "reception_lead_days",
                "rectification_lead_days", "entrustment_valid_months", "entrustment_lead_days", "items_listed_per_kind")


def _check_todo_rules(data: dict) -> None:
    try:
        numbers = [int(data[key]) for key in TO_DO_NUMBERS]
        list(data["entrustment_categories"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DomainError("规则内容缺少必要项目（各项提前提醒天数、确认书有效期 entrustment_valid_months、"
                          "entrustment_categories）。", field="content") from exc
    if min(numbers) < 0:
        raise DomainError("提前提醒的天数、小时数和有效期不能为负数。", field="content")
    if int(data["entrustment_valid_months"]) < 1 or int(data["items_listed_per_kind"]) < 1:
        raise DomainError("确认书有效期和每类列出条数至少为 1。", field="content")


CHECKS = {"archive_rules": _check_archive_rules, "capability_standard": _check_capability,
          "visit_policy": _check_visit_policy, "service_rules": _check_service_rules,
          "todo_rules": _check_todo_rules}


#: How long a process keeps the rule sets and category ids it read: the setting
#: RULES_CACHE_SECONDS, 2 seconds by default, 600 in demo and test mode (one process, the
#: only writer). Whatever the time, the process that saves a rule set or a category forgets
#: them at once (RuleSet.after_write, PersonCategory.after_write); the app's other web
#: processes read the new one within this time, so where there are several it stays short.
CACHE_SIZES = {"rules": 16, "categories": 256}
_caches: dict[str, TTLCache] = {}
_lock = threading.Lock()


def set_cache_seconds(seconds: float) -> None:
    with _lock:
        for name, size in CACHE_SIZES.items():
            _caches[name] = TTLCache(maxsize=size, ttl=float(seconds))


set_cache_seconds(2)


def cached(name: str, key, read):
    """The value kept in the cache ``name`` under ``key``, else ``read()`` kept there."""
    with _lock:
        value = _caches[name].get(key)
    if value is None:
        value = read()
        with _lock:
            _caches[name][key] = value
    return value


def get_rules(key: str) -> dict:
    """The rule set in force: the admin's edited copy, else the seed file.
    Kept for RULES_CACHE_SECONDS (an import of thousands of rows asks once)."""

    def read() -> dict:
        stored = RuleSet.objects(key=key, voided=False).only("content", "version").first()
        return stored.parsed() if stored is not None else seed_rules(key)

    return cached("rules", key, read)


def seed_rules(key: str) -> dict:
    """The rule set as the seed file has it (defaults for keys a stored copy lacks)."""
    seed = Path(__file__).resolve().parent.parent / "seeds" / SEED_FILES[key]
    return json.loads(seed.read_text(encoding="utf-8"))


def forget_cached_rules() -> None:
    """Drop every cache of rules and reference ids (a new database, an admin's edit)."""
    with _lock:
        for cache in _caches.values():
            cache.clear()


SEED_FILES = {"archive_rules": "archive_rules.json", "capability_standard": "capability_gbt42195.json",
              "visit_policy": "visit_policy.json", "service_rules": "service_rules.json",
              "todo_rules": "todo_rules.json"}
