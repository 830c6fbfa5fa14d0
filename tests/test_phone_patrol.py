"""The patrol form as a worker on the street uses it: 处置 as checkboxes that store the same
action codes as the multi-select did, the street-rescue calls (110/120) taken from the rule
set both by the form's hint and by the save's check, the start time prefilled with now and
times as time inputs."""

import datetime as dt
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.archives import HOMELESS_HEALTH
from models.clock import local_now
from models.errors import DomainError
from models.patrols import ACTIONS, Encounter, Patrol, calls_needed, rescue_call_rules
from models.rules import RuleSet, forget_cached_rules, seed_rules
from models.services import create_record, snapshot, update_record

from .conftest import csrf_token

CODES = [code for code, _label in ACTIONS]
CHECKBOX_RE = re.compile(r'<input type="checkbox" name="([^"]+)" id="[^"]*" value="([^"]+)"( checked)?>')


def _form(townships, **extra):
    data = {"patrol_date": "2026-03-03", "start_time": "19:00", "end_time": "21:00",
            "township": str(townships["东江街道"].pk), "places": "火车站广场", "staff": "",
            "encounters-0-description": "中年男子", "encounters-0-items_given": "面包、水"}
    data.update(extra)
    return data


def _checkboxes(page: str, name: str) -> dict[str, bool]:
    return {value: bool(checked) for field, value, checked in CHECKBOX_RE.findall(page) if field == name}


def _save_rules(change):
    rules = RuleSet.objects(key="visit_policy").first()
    data = json.loads(rules.content)
    change(data)
    before = snapshot(rules)
    rules.content = json.dumps(data, ensure_ascii=False)
    update_record(rules, before, rules.version, None)
    forget_cached_rules()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chosen=st.lists(st.sampled_from(CODES), unique=True).map(lambda picked: [c for c in CODES if c in picked]))
def test_actions_are_checkboxes_that_store_the_same_codes(app, login_as, townships, accounts, chosen):
    client = login_as("staff")
    new_page = client.get("/patrol/new/").get_data(as_text=True)
    assert '<select class="form-control" id="actions" multiple' not in new_page
    form = _form(townships, staff=str(accounts["staff"].pk), **{"encounters-0-actions": chosen})
    form["csrf_token"] = csrf_token(client, "/patrol/new/")
    before = Patrol.objects.count()
    response = client.post("/patrol/new/", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    assert Patrol.objects.count() == before + 1
    saved = Patrol.objects.order_by("-id").first()
    assert saved.encounters[0].actions == chosen  # the codes the multi-select stored, in the same order
    edit_url = f"/patrol/edit/?id={saved.pk}"
    page = client.get(edit_url).get_data(as_text=True)
    boxes = _checkboxes(page, "encounters-0-actions")
    assert list(boxes) == CODES  # one checkbox per handling, labelled inside its own label
    assert [code for code, on in boxes.items() if on] == chosen
    edit = _form(townships, staff=str(accounts["staff"].pk), record_version=str(saved.version),
                 **{"encounters-0-actions": [code for code, on in boxes.items() if on]})
    edit["csrf_token"] = csrf_token(client, edit_url)
    assert client.post(edit_url, data=edit).status_code == 302
    saved.reload()
    assert saved.encounters[0].actions == chosen


def test_a_record_saved_with_the_old_form_opens_with_its_actions_ticked(app, login_as, townships, accounts):
    stored = create_record(Patrol(patrol_date=dt.datetime(2026, 3, 2), start_time="19:00", end_time="21:00",
                                  township=townships["东江街道"], places="七星路口", staff=[accounts["staff"]],
                                  encounters=[Encounter(description="男孩", minor=True,
                                                        actions=["police_110", "contact_family"])]),
                           accounts["staff"])
    page = login_as("staff").get(f"/patrol/edit/?id={stored.pk}").get_data(as_text=True)
    boxes = _checkboxes(page, "encounters-0-actions")
    assert {code for code, on in boxes.items() if on} == {"police_110", "contact_family"}


def _page_rules(page: str) -> list[dict]:
    match = re.search(r'<script type="application/json" id="rescue-rules">(.*?)</script>', page, re.S)
    assert match, "巡查表中没有街头救助规则"
    return json.loads(match.group(1))


def test_the_form_shows_the_rule_sets_calls_and_the_save_follows_the_same_rules(app, login_as, townships, accounts):
    client = login_as("staff")
    seeded = seed_rules("visit_policy")["street_rescue_calls"]
    assert {rule["action"] for rule in seeded} == {"police_110", "medical_120"}
    shown = _page_rules(client.get("/patrol/new/").get_data(as_text=True))
    assert [(r["code"], r["action"], r["text"]) for r in shown] == [(r["code"], r["action"], r["text"]) for r in seeded]

    # the admin widens the 120 rule to 痴呆傻 and rewords it: the form and the save both follow
    def widen(data):
        data.setdefault("street_rescue_calls", seed_rules("visit_policy")["street_rescue_calls"])
        for rule in data["street_rescue_calls"]:
            if rule["action"] == "medical_120":
                rule["health_states"] = [*rule["health_states"], "dementia"]
                rule["text"] = "痴呆傻人员也须呼叫120（测试用语）"

    _save_rules(widen)
    shown = _page_rules(client.get("/patrol/new/").get_data(as_text=True))
    medical = next(r for r in shown if r["action"] == "medical_120")
    assert "dementia" in medical["health_states"] and medical["text"] == "痴呆傻人员也须呼叫120（测试用语）"
    form = _form(townships, staff=str(accounts["staff"].pk), **{"encounters-0-health_state": "dementia",
                                                               "encounters-0-actions": ["contact_family"]})
    form["csrf_token"] = csrf_token(client, "/patrol/new/")
    page = client.post("/patrol/new/", data=form).get_data(as_text=True)
    assert "须记录“呼叫120/送医”" in page and "中年男子" in page  # refused in Chinese, nothing typed lost
    assert Patrol.objects.count() == 0


@pytest.mark.parametrize("state", [code for code, _label in HOMELESS_HEALTH] + [None])
@pytest.mark.parametrize("minor", [False, True])
def test_every_person_met_is_held_to_the_calls_the_rules_name(app, townships, accounts, state, minor):
    rules = rescue_call_rules()  # as seeded, DOMAIN.md: minors to 110; 危重/精神/传染 to 120
    needed = ({"police_110"} if minor else set()) | ({"medical_120"} if state in {"critical", "mental",
                                                                                   "infectious"} else set())
    person = Encounter(description="路边人员", minor=minor, health_state=state, actions=["contact_family"])
    assert {rule["action"] for rule in calls_needed(person, rules)} == needed
    patrol = Patrol(patrol_date=dt.datetime(2026, 3, 2), start_time="19:00", end_time="21:00",
                    township=townships["东江街道"], places="七星路口", staff=[accounts["staff"]], encounters=[person])
    if needed:
        with pytest.raises(DomainError, match="须记录"):
            create_record(patrol, accounts["staff"])
        person.actions = ["contact_family", *sorted(needed)]
    assert create_record(patrol, accounts["staff"]).pk


@pytest.mark.parametrize("change, message", [
    (lambda rule: rule.update(action="call_119"), "处置“call_119”不存在"),
    (lambda rule: rule.update(health_states=["flu"]), "健康状况“flu”不存在"),
    (lambda rule: rule.update(minor=False, health_states=[]), "须写明适用对象"),
    (lambda rule: rule.pop("text"), "street_rescue_calls"),
])
def test_a_broken_street_rescue_rule_is_refused_in_chinese(app, change, message):
    rules = RuleSet.objects(key="visit_policy").first()
    data = json.loads(rules.content)
    data["street_rescue_calls"] = seed_rules("visit_policy")["street_rescue_calls"]
    change(data["street_rescue_calls"][0])
    before = snapshot(rules)
    rules.content = json.dumps(data, ensure_ascii=False)
    with pytest.raises(DomainError, match=message):
        update_record(rules, before, rules.version, None)


def test_a_stored_rule_set_without_the_calls_uses_the_seeds(app):
    _save_rules(lambda data: data.pop("street_rescue_calls", None))
    assert rescue_call_rules() == seed_rules("visit_policy")["street_rescue_calls"]


def test_the_start_time_is_now_and_times_are_time_inputs(app, login_as):
    before = local_now()
    page = login_as("staff").get("/patrol/new/").get_data(as_text=True)
    after = local_now()
    start = re.search(r'<input[^>]*id="start_time"[^>]*>', page).group(0)
    end = re.search(r'<input[^>]*id="end_time"[^>]*>', page).group(0)
    assert 'type="time"' in start and 'type="time"' in end
    shown = re.search(r'value="(\d\d:\d\d)"', start).group(1)
    assert shown in {before.strftime("%H:%M"), after.strftime("%H:%M")}
    assert 'value=""' in end
