"""The business rules (models.rules) as a person reads them: tables with Chinese
headings, choice labels and the names of categories and themes, never the JSON
the admin edits. ``rule_tables(rule_set)`` gives the sections of one rule set."""

from dataclasses import dataclass, field

from .archives import RISK_LEVELS
from .indicator_terms import OPERATOR_SIGNS
from .indicators.engine import plain_number
from .patrols import rescue_call_rules
from .reference import PersonCategory
from .staffing import EDUCATION, MAJOR_FIELDS
from .visits import VISIT_MODES

KIND_NAMES = {"child": "儿童", "elderly": "老年人", "homeless": "流浪乞讨人员", "common": "所有档案"}
PERIOD_NAMES = {"week": "每周", "month": "每月", "quarter": "每季度", "year": "每年"}
DEADLINE_NAMES = {"report": "发现后报告", "handle": "报告后协同处理", "close": "处理后结案"}


@dataclass
class Section:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""


def _condition(rule: dict, unit: str = "") -> str:
    """{"op": ">", "value": 2} as 多于 2 次."""
    if not isinstance(rule, dict):
        return f"{plain_number(rule)}{unit}"
    return f"{OPERATOR_SIGNS.get(rule.get('op'), rule.get('op', ''))} {plain_number(rule.get('value'))}{unit}"


def _labels(codes, names: dict) -> str:
    return "、".join(names.get(c, c) for c in codes or ()) or "—"


def _category_names() -> dict[str, str]:
    return {c.code: c.name for c in PersonCategory.objects.only("code", "name")}


def _archive_rules(data: dict) -> list[Section]:
    completeness = data.get("completeness", {})
    required = Section("一人一档完整性：必填项目", ["档案类型", "必填项目"])
    for kind, fields in completeness.items():
        if isinstance(fields, dict) and not kind.startswith("_"):
            required.rows.append([KIND_NAMES.get(kind, kind), "、".join(fields.values())])
    risk = data.get("risk", {})
    levels = Section("儿童风险等级分数线", ["等级", "风险因素得分"], [
        ["一级（高）", f"不低于 {plain_number(risk.get('level_one_score'))} 分，或有“直接评为一级”的因素"],
        ["二级（中）", f"不低于 {plain_number(risk.get('level_two_score'))} 分"],
        ["三级（低）", f"低于 {plain_number(risk.get('level_two_score'))} 分"],
    ])
    factors = Section("儿童风险因素", ["风险因素", "分组", "分值", "直接评为一级"])
    for factor in risk.get("factors", []):
        factors.rows.append([factor.get("label", ""), factor.get("group", ""), plain_number(factor.get("score", 0)),
                             "是" if factor.get("force_level_one") else "否"])
    return [required, levels, factors]


def _capability(data: dict) -> list[Section]:
    general = Section("评估标准", ["项目", "规定"], [
        ["标准", data.get("standard", "")],
        ["复评间隔", f"{plain_number(data.get('reassess_months', ''))} 个月"],
        ["昏迷者", f"直接评为“{data.get('coma_level', '')}”"],
        ["有认知障碍/痴呆或精神疾病", f"等级下调 {plain_number(data.get('worse_for_dementia_or_mental_disorder', 0))} 级"],
        ["近 30 天照护风险事件", f"达到 {plain_number(data.get('care_risk_events_threshold', 0))} 项时等级下调 "
                           f"{plain_number(data.get('worse_for_care_risk_events', 0))} 级"],
    ])
    levels = Section("能力等级", ["等级", "总分不低于"], [[lv.get("name", ""), plain_number(lv.get("min", 0))]
                                                  for lv in data.get("levels", [])])
    items = Section("评估项目", ["维度", "项目", "满分"])
    for dimension in data.get("dimensions", []):
        for item in dimension.get("items", []):
            items.rows.append([dimension.get("name", ""), item.get("name", ""), plain_number(item.get("max", 0))])
    return [general, levels, items]


def _visit_policy(data: dict) -> list[Section]:
    categories = _category_names()
    modes = dict(VISIT_MODES)
    policies = Section("探访频次", ["探访规则", "对象", "风险等级", "对象类别", "周期", "每期至少探访"],
                       note=f"计入的探访方式：{_labels(data.get('counting_modes'), modes)}，且已见到本人或家属。")
    for policy in data.get("policies", []):
        policies.rows.append([policy.get("name", ""), KIND_NAMES.get(policy.get("kind"), policy.get("kind", "")),
                              _labels(policy.get("risk_levels"), dict(RISK_LEVELS)),
                              _labels(policy.get("categories"), categories),
                              PERIOD_NAMES.get(policy.get("period"), policy.get("period", "")),
                              f"{plain_number(policy.get('visits_required', 1))} 次"])
    other = Section("巡查与儿童保护处置时限", ["项目", "规定"],
                    [["街头巡查", f"每周至少 {plain_number(data.get('patrol_minimum_per_week', 0))} 次"]])
    for step, hours in (data.get("concern_deadlines_hours") or {}).items():
        other.rows.append([DEADLINE_NAMES.get(step, step), f"{plain_number(hours)} 小时内"])
    for rule in rescue_call_rules(data):
        other.rows.append([f"街头发现{rule.get('label', '')}", rule.get("text", "")])
    return [policies, other]


def _service_rules(data: dict) -> list[Section]:
    cases = Section("个案达标", ["个案类型", "服务次数", "服务时长"])
    for case in (data.get("cases") or {}).values():
        cases.rows.append([case.get("name", ""), _condition(case.get("sessions"), " 次"),
                           _condition(case.get("hours"), " 小时")])
    groups, events = data.get("groups") or {}, data.get("events") or {}
    activities = Section("小组、活动、志愿服务与培训", ["项目", "规定"], [
        ["小组活动节数", _condition(groups.get("sessions"), " 节")],
        ["小组每节时长", _condition(groups.get("session_hours"), " 小时")],
        ["大型活动服务人数", _condition(events.get("large"), " 人")],
        ["中小型活动服务人数", f"{_condition(events.get('small_min'), ' 人')}，{_condition(events.get('small_max'), ' 人')}"],
        ["志愿服务活动时长", _condition(data.get("volunteer_activity_hours"), " 小时")],
        ["培训时长", _condition(data.get("training_hours"), " 小时")],
        ["每人每天最多记入", f"{plain_number(data.get('max_hours_per_day', ''))} 小时"],
        ["一次探访记入志愿时数", f"{plain_number(data.get('visit_volunteer_hours', ''))} 小时"],
    ])
    stay = data.get("accompaniment") or {}
    subsidy = data.get("subsidy") or {}
    care = Section("住院陪护与补贴抽查", ["项目", "规定"], [
        ["陪护对象", _category_names().get(stay.get("category"), stay.get("category", ""))],
        ["每人每年陪护", f"{plain_number(stay.get('per_person_per_year', ''))} 次"],
        ["每次陪护最多", f"{plain_number(stay.get('max_days', ''))} 天"],
        ["同时陪护最多", f"{plain_number(stay.get('max_concurrent', ''))} 人"],
        ["第三方评估结果实地核查不低于", _share(subsidy.get("onsite_min_share"))],
        ["补贴服务质量抽查不低于", _share(subsidy.get("quality_min_share"))],
    ])
    staff = data.get("staffing") or {}
    staffing = Section("人员配备", ["项目", "规定"], [
        ["工作人员总数", f"不少于 {plain_number(staff.get('min_total', ''))} 人"],
        ["专职人员", f"不少于 {plain_number(staff.get('min_full_time', ''))} 人"],
        ["男性专职人员", f"不少于 {plain_number(staff.get('min_male_full_time', ''))} 人"],
        ["流浪乞讨救助人员", f"不少于 {plain_number(staff.get('min_street_rescue', ''))} 人"],
        ["学历", _labels(staff.get("qualified_education"), dict(EDUCATION))],
        ["专业", _labels(staff.get("qualified_majors"), dict(MAJOR_FIELDS))],
    ])
    return [cases, activities, care, staffing]


def _todo_rules(data: dict) -> list[Section]:
    categories = _category_names()
    days = [("visit_due_soon_days", "探访：本期结束前", "天起标为“即将到期”"),
            ("concern_warning_hours", "儿童保护处置：环节期限前", "小时起列入"),
            ("reassessment_lead_days", "重新评估：下次评估日期前", "天起列入"),
            ("reception_lead_days", "来访来电：跟进期限前", "天起列入"),
            ("rectification_lead_days", "补贴抽查：整改期限前", "天起列入"),
            ("entrustment_lead_days", "委托监护确认书：到期前", "天起列入")]
    lead = Section("待办提前提醒", ["事项", "规定"],
                   [[label, f"{plain_number(data.get(key, ''))} {unit}"] for key, label, unit in days],
                   note="过期的事项一直列在待办中，直到办完（由记录自动判断，不需手动勾选）。")
    other = Section("委托监护确认书与列出条数", ["项目", "规定"], [
        ["确认书有效期", f"{plain_number(data.get('entrustment_valid_months', ''))} 个月"],
        ["须签确认书的儿童类别", _labels(data.get("entrustment_categories"), categories)],
        ["每类待办最多列出", f"{plain_number(data.get('items_listed_per_kind', ''))} 条（数量照常全部计算）"],
    ])
    return [lead, other]


def _share(value) -> str:
    if value is None:
        return "—"
    return f"{plain_number(round(float(value) * 100, 2))}%"


DESCRIBERS = {"archive_rules": _archive_rules, "capability_standard": _capability,
              "visit_policy": _visit_policy, "service_rules": _service_rules,
             "todo_rules": _todo_rules}


def rule_tables(rule_set) -> list[Section]:
    """The sections of a rule set as tables (none for a key without a describer: every key
    of models.rules.RULE_SETS has one, and a test checks it)."""
    data = rule_set.parsed()
    describe = DESCRIBERS.get(rule_set.key)
    if describe is None:
        return []
    return describe(data)
