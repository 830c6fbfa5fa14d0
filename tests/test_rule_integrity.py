"""Rules that name other rules' codes are checked on save, and a rule that cannot be
evaluated is a Chinese note on the page, never a server error. The cases are generated
from the references the seeded rule sets and indicators make."""

import json

import pytest

from models.errors import DomainError
from models.indicators import Indicator
from models.reference import PersonCategory, ThemeTag
from models.rule_refs import CATEGORY, POLICY, THEME, all_references
from models.rules import RuleSet, forget_cached_rules
from models.services import snapshot, update_record, void_record
from seeds.loader import load_reference_data
from tests.conftest import make_app


def seeded_references():
    application = make_app()
    with application.app_context():
        load_reference_data()
        return sorted(set(all_references()), key=lambda r: (r.target, r.code, r.referrer))


REFERENCES = seeded_references()
REFERENCE_IDS = [f"{r.target}:{r.code}<-{r.referrer}" for r in REFERENCES]


def test_the_seeds_make_references_of_every_kind():
    assert {r.target for r in REFERENCES} == {POLICY, CATEGORY, THEME}
    assert any(r.source == "indicator" and r.code == "elderly_monthly" for r in REFERENCES)
    assert any(r.source == "visit_policy" and r.target == POLICY for r in REFERENCES)  # the register's policy


def renamed_policy_content(code: str, new_code: str) -> str:
    data = RuleSet.objects(key="visit_policy").get().parsed()
    for item in data["policies"]:
        if item["code"] == code:
            item["code"] = new_code
    return json.dumps(data, ensure_ascii=False)


def rename(reference, new_code: str) -> None:
    """Rename the code a reference names, through the service layer (as the admin's form does)."""
    if reference.target == POLICY:
        rule_set = RuleSet.objects(key="visit_policy").get()
        before = snapshot(rule_set)
        rule_set.content = renamed_policy_content(reference.code, new_code)
        update_record(rule_set, before, rule_set.version, None)
        return
    model = PersonCategory if reference.target == CATEGORY else ThemeTag
    record = model.objects(code=reference.code).get()
    before = snapshot(record)
    record.code = new_code
    update_record(record, before, record.version, None)


@pytest.mark.parametrize("reference", REFERENCES, ids=REFERENCE_IDS)
def test_renaming_a_referenced_code_is_refused_naming_who_refers_to_it(app, reference):
    with pytest.raises(DomainError) as refused:
        rename(reference, "renamed_code")
    assert f"“{reference.code}”" in refused.value.message and reference.referrer in refused.value.message
    forget_cached_rules()
    if reference.target == POLICY:
        assert any(p["code"] == reference.code for p in RuleSet.objects(key="visit_policy").get().parsed()["policies"])
    else:
        model = PersonCategory if reference.target == CATEGORY else ThemeTag
        assert model.objects(code=reference.code).count() == 1


@pytest.mark.parametrize("reference", [r for r in REFERENCES if r.target != POLICY],
                         ids=[i for r, i in zip(REFERENCES, REFERENCE_IDS, strict=True) if r.target != POLICY])
def test_voiding_a_referenced_category_or_theme_is_refused(app, reference):
    model = PersonCategory if reference.target == CATEGORY else ThemeTag
    record = model.objects(code=reference.code).get()
    with pytest.raises(DomainError, match=reference.referrer.replace("(", r"\(").replace(")", r"\)")):
        void_record(record, "不再使用", None)
    assert model.objects(code=reference.code).get().voided is False


def test_a_name_may_change_and_an_unreferenced_code_may_too(app):
    rule_set = RuleSet.objects(key="visit_policy").get()
    before = snapshot(rule_set)
    data = rule_set.parsed()
    data["policies"][0]["name"] = "一级风险儿童每周探访（改名）"
    data["policies"].append({**data["policies"][0], "code": "extra_policy", "name": "新增规则"})
    rule_set.content = json.dumps(data, ensure_ascii=False)
    assert update_record(rule_set, before, rule_set.version, None)
    other = PersonCategory.objects(code="migrant_child").get()  # no rule names it
    before = snapshot(other)
    other.code = "migrant_children"
    assert update_record(other, before, other.version, None)


@pytest.mark.parametrize("reference", [r for r in REFERENCES if r.source == "indicator"][:6],
                         ids=[i for r, i in zip(REFERENCES, REFERENCE_IDS, strict=True) if r.source == "indicator"][:6])
def test_an_indicator_naming_a_code_that_does_not_exist_is_refused(app, reference):
    indicator = Indicator.objects(code=reference.referrer.split("（")[-1].rstrip("）")).first()
    before = snapshot(indicator)
    indicator.params = indicator.params.replace(f'"{reference.code}"', '"no_such_code"')
    with pytest.raises(DomainError, match="“no_such_code”不存在"):
        update_record(indicator, before, indicator.version, None)


def force_rename(code: str) -> None:
    """A rename made before the check existed (or around it): written straight to the database."""
    content = renamed_policy_content(code, f"{code}_old")
    RuleSet._get_collection().update_one({"key": "visit_policy"}, {"$set": {"content": content}})
    forget_cached_rules()


@pytest.mark.parametrize("code", sorted({r.code for r in REFERENCES if r.target == POLICY}))
def test_pages_of_a_rule_that_cannot_be_evaluated_say_so_in_chinese(app, login_as, code):
    force_rename(code)
    client = login_as("coordinator")
    overview = client.get("/indicators/")
    assert overview.status_code == 200
    page = overview.get_data(as_text=True)
    for reference in (r for r in REFERENCES if r.target == POLICY and r.code == code and r.source == "indicator"):
        indicator_code = reference.referrer.split("（")[-1].rstrip("）")
        row = page.split(f'id="indicator-{indicator_code.replace(".", "-")}"')[1].split("</tr>")[0]
        assert "无法计算" in row and f"“{code}”不存在" in row
        detail = client.get(f"/indicators/show/{indicator_code}/")
        assert detail.status_code == 200 and "无法计算" in detail.get_data(as_text=True)
    register = client.get("/elderly-register/")
    assert register.status_code == 200
    if any(r.code == code and r.source == "visit_policy" for r in REFERENCES):
        assert "无法生成登记表" in register.get_data(as_text=True)
