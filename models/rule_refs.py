"""Which rule names which code: contract indicators name visit policies, categories and
themes; the visit policy names categories and the policy the elderly register prints;
the service rules name the categories 住院陪护 serves.

A code that something refers to cannot be renamed or removed: the save is refused with
a message naming who refers to it (its name, which may be edited freely, is what people
read). References are not rewritten behind the referrer's back: an indicator's
parameters are part of the contract the managers sign off, edited by their owner with
their own audit entry, so a rule-set save does not silently change what the contract
measures."""

from dataclasses import dataclass

from .errors import DomainError
from .indicators.document import Indicator
from .reference import PersonCategory, ThemeTag
from .rules import RULE_SETS, get_rules

POLICY, CATEGORY, THEME = "visit_policy", "category", "theme"
TARGET_LABELS = {POLICY: "探访规则代码", CATEGORY: "对象类别代码", THEME: "主题标签代码"}


@dataclass(frozen=True)
class Reference:
    source: str  # "indicator", "visit_policy", "service_rules"
    referrer: str  # as a person reads it: 指标“特困、高龄老人每月探访”（visits.elderly_monthly）
    target: str  # POLICY, CATEGORY, THEME
    code: str


def indicator_references(indicators=None) -> list[Reference]:
    """What the contract indicators (all contracts', not voided) name in their parameters."""
    found = []
    rows = indicators if indicators is not None else Indicator.objects(voided=False).only("code", "name", "params")
    for indicator in rows:
        params = indicator.parameters()
        referrer = f"指标“{indicator.name}”（{indicator.code}）"
        for target, key in ((POLICY, "policies"), (CATEGORY, "categories"), (THEME, "themes")):
            for code in params.get(key) or ():
                found.append(Reference("indicator", referrer, target, str(code)))
        if params.get("topic"):
            found.append(Reference("indicator", referrer, THEME, str(params["topic"])))
    return found


def rule_set_references(key: str, data: dict) -> list[Reference]:
    """What one rule set's content names."""
    found = []
    if key == "visit_policy":
        for policy in data.get("policies") or ():
            for code in policy.get("categories") or ():
                found.append(Reference(key, f"探访规则“{policy.get('name')}”（{policy.get('code')}）", CATEGORY, code))
        if data.get("register_policy"):
            found.append(Reference(key, "特困、高龄老人月度探访登记表（register_policy）", POLICY,
                                   data["register_policy"]))
    if key == "todo_rules":
        for code in data.get("entrustment_categories") or ():
            found.append(Reference(key, "待办：委托监护确认书（entrustment_categories）", CATEGORY, code))
    if key == "service_rules":
        for code in (data.get("accompaniment") or {}).get("categories") or ():
            found.append(Reference(key, "住院陪护规则（accompaniment.categories）", CATEGORY, code))
    return found


def all_references() -> list[Reference]:
    found = indicator_references()
    for key in RULE_SETS:
        found += rule_set_references(key, get_rules(key))
    return found


def known_codes(target: str, replacing: tuple[str, dict] | None = None) -> set:
    """The codes of ``target`` in force (with a rule set's content about to be saved when given)."""
    if target == POLICY:
        data = replacing[1] if replacing and replacing[0] == "visit_policy" else get_rules("visit_policy")
        return {p.get("code") for p in data.get("policies") or ()}
    model = PersonCategory if target == CATEGORY else ThemeTag
    return {row.code for row in model.objects(voided=False).only("code")}


def refuse_dangling(references: list[Reference], known: dict) -> None:
    """Refuse when a reference names a code that does not exist (``known``: {target: codes})."""
    for reference in references:
        if reference.target in known and reference.code not in known[reference.target]:
            raise DomainError(f"{reference.referrer}引用的{TARGET_LABELS[reference.target]}“{reference.code}”不存在。"
                              "请改为已有的代码。", field="content" if reference.source != "indicator" else "params")


def refuse_removing(target: str, codes_left: set, references: list[Reference], field: str) -> None:
    """Refuse a save that would leave codes others refer to without their target."""
    orphaned: dict = {}
    for reference in references:
        if reference.target == target and reference.code not in codes_left:
            orphaned.setdefault(reference.code, []).append(reference.referrer)
    if orphaned:
        code, referrers = next(iter(sorted(orphaned.items())))
        more = f"（另有 {len(orphaned) - 1} 个代码也被引用）" if len(orphaned) > 1 else ""
        raise DomainError(f"不能删除或修改{TARGET_LABELS[target]}“{code}”：{'、'.join(sorted(set(referrers)))}引用了它{more}。"
                          "名称等其他内容可以修改；确需更换代码时，请先修改引用它的地方。", field=field)


def check_rule_set(key: str, data: dict) -> None:
    """A rule set about to be saved: the codes it names exist, and the codes others name in it stay."""
    own = rule_set_references(key, data)
    outward = [r for r in own if r.target != POLICY]
    refuse_dangling(outward, {target: known_codes(target) for target in {r.target for r in outward}})
    if key == "visit_policy":
        naming = indicator_references() + [r for r in own if r.target == POLICY]
        for other in RULE_SETS:
            if other != key:
                naming += rule_set_references(other, get_rules(other))
        refuse_removing(POLICY, known_codes(POLICY, (key, data)), naming, "content")


def check_indicator(indicator) -> None:
    """An indicator about to be saved names only codes that exist."""
    own = indicator_references([indicator])
    refuse_dangling(own, {target: known_codes(target) for target in {r.target for r in own}})


def check_code_change(target: str, record, field: str = "code") -> None:
    """A category or theme about to be saved: its stored code, if something refers to it,
    keeps existing (not renamed, not voided)."""
    if record.pk is None:
        return
    stored = type(record)._get_collection().find_one({"_id": record.pk}, {"code": 1, "voided": 1})
    if stored is None or stored.get("voided"):
        return
    if stored.get("code") == record.code and not record.voided:
        return
    left = {record.code} if not record.voided else set()
    referring = [r for r in all_references() if r.target == target and r.code == stored.get("code")]
    refuse_removing(target, left, referring, field)
