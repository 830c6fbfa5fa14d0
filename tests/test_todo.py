"""The to-do centre: every kind of item (from the registry models.todo.TO_DO_KINDS) appears
when a record asks for it, opens the page that does it, and disappears by itself when the
record is changed so that it no longer asks; the count the navigation bar shows is the
number of items the page lists; a coordinator sees the team's overdue items by worker."""

import datetime as dt
import re

import pytest

from models.archives import ChildArchive, HomelessArchive
from models.clock import local_now, local_today
from models.reference import Community, PersonCategory
from models.services import create_record, snapshot, update_record
from models.todo import TO_DO_KINDS, todo_list

from .archive_helpers import make_child, make_elder
from .dbcount import count_commands
from .helpers import png_bytes

DAYS_AGO = dt.datetime.combine(local_today() - dt.timedelta(days=60), dt.time())


def _change(record, **values):
    fresh = type(record).objects.get(pk=record.pk)
    before = snapshot(fresh)
    for name, value in values.items():
        setattr(fresh, name, value)
    update_record(fresh, before, fresh.version, None)
    return fresh


# Each case makes the record that asks for an item of its kind for the worker "shegong"
# (东江街道), and returns (the record's id, the link the item opens, a change that does it).

def _visits(world):
    child = make_child(world["home"], name="待访儿童", sequence=61, risk_level="1", worker=world["staff"],
                       archive_date=DAYS_AGO)

    def visit():
        from models.visits import Visit, add_photo

        record = Visit(people=[child], visited_at=local_now() - dt.timedelta(minutes=1), mode="home", contact="made")
        add_photo(record, png_bytes(), "home.png", 10 ** 7)
        create_record(record, world["staff"])
    return child.pk, f"/visit/new/?person={child.pk}", visit


def _concerns(world):
    from models.concerns import Concern

    child = make_child(world["home"], name="处置儿童", sequence=62, worker=world["staff"])
    concern = create_record(Concern(child=child, township=world["home"], source="visit", discovered_by="张社工",
                                    discovered_at=local_now() - dt.timedelta(days=2), description="发现受伤"), None)

    def report():
        _change(concern, reported_at=local_now() - dt.timedelta(minutes=1), reported_to=["police"])
    return concern.pk, f"/concern/edit/?id={concern.pk}", report


def _reassessments(world):
    elder = make_elder(world["home"], name="复评老人", sequence=63, worker=world["staff"],
                       next_assessment_due=DAYS_AGO)

    def assess():
        _change(elder, next_assessment_due=DAYS_AGO + dt.timedelta(days=240))
    return elder.pk, f"/elderlyarchive/capability/?id={elder.pk}", assess


def _risk_review(world):
    child = make_child(world["home"], name="建议调级儿童", sequence=65, worker=world["staff"], risk_level="3",
                       risk_review_requested="探访建议调整为二级（中）：父母外出，祖父住院")

    def assess():
        from models.assessments import record_risk_assessment
        from models.rules import get_rules

        factor = get_rules("archive_rules")["risk"]["factors"][0]["code"]
        record_risk_assessment(ChildArchive.objects.get(pk=child.pk), [factor], "2", "探访后复评", "张社工",
                               dt.datetime.combine(local_today(), dt.time()), world["staff"])
    return child.pk, f"/childarchive/risk/?id={child.pk}", assess


def _reception(world):
    from models.reception import ReceptionContact

    contact = create_record(ReceptionContact(
        received_at=local_now() - dt.timedelta(days=5), caller_name="来访群众", township=world["home"],
        category="policy", matter="咨询低保政策", handled_by=world["staff"],
        follow_up_due=dt.datetime.combine(local_today() - dt.timedelta(days=1), dt.time())), None)

    def close():
        _change(contact, closed_at=local_now() - dt.timedelta(minutes=1), action_taken="电话答复",
                outcome="已答复并送达政策材料")
    return contact.pk, f"/reception/edit/?id={contact.pk}", close


def _rectification(world):
    from models.subsidy import SpotCheck, draw_sample, import_subsidy_file

    from .test_subsidy import services, workbook

    import_subsidy_file("service", workbook("service", services(6)), "s.xlsx", world["coordinator"])
    draw_sample("service", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 0.5, 7, [world["staff"]], world["coordinator"])
    check = SpotCheck.objects(township=world["home"]).first()
    today = dt.datetime.combine(local_today(), dt.time())
    check = _change(check, checked_on=today - dt.timedelta(days=10), method="onsite", findings=["price_inflation"],
                    satisfaction=2, rectification_due=today - dt.timedelta(days=1))

    def rectify():
        _change(check, rectified_on=today, rectification_notes="已退还多收费用")
    return check.pk, f"/spotcheck/edit/?id={check.pk}", rectify


def _entrustment(world):
    left_behind = PersonCategory.objects.get(code="left_behind_child")
    child = make_child(world["home"], name="留守儿童", sequence=64, worker=world["staff"], categories=[left_behind])

    def sign():
        _change(child, entrustment_signed=True, entrustment_date=dt.datetime.combine(local_today(), dt.time()))
    return child.pk, f"/childarchive/edit/?id={child.pk}", sign


def _incomplete(world):
    homeless = create_record(HomelessArchive(name="未补全人员", township=world["home"], worker=world["staff"]), None)

    def complete():
        community = create_record(Community(township=world["home"], name="测试社区", kind="社区"), None)
        category = PersonCategory.objects.get(code="homeless")
        _change(homeless, sex="男", birth_date=dt.datetime(1970, 1, 1), community=community, categories=[category],
                current_address="七星路口", found_at=DAYS_AGO, found_place="七星路口", description="男，约55岁")
    return homeless.pk, f"/homelessarchive/edit/?id={homeless.pk}", complete


CASES = {"visits": _visits, "concerns": _concerns, "reassessments": _reassessments, "reception": _reception,
         "rectification": _rectification, "entrustment": _entrustment, "incomplete": _incomplete}


#: More than one way a kind asks for an item: each is checked like the first.
MORE_CASES = [("reassessments", _risk_review)]
ALL_CASES = [*sorted(CASES.items()), *MORE_CASES]


def test_every_kind_of_item_has_a_case():
    assert set(CASES) == set(TO_DO_KINDS)


@pytest.fixture
def world(app, townships, accounts):
    return {"home": townships["东江街道"], "staff": accounts["staff"], "coordinator": accounts["coordinator"]}


def _items(client, kind):
    page = client.get("/todo/").get_data(as_text=True)
    section = page.split(f'id="todo-{kind}"', 1)[1].split('class="card mb-3 todo-kind"', 1)[0]
    return section


@pytest.mark.parametrize("kind, case", ALL_CASES, ids=[f"{kind}-{case.__name__}" for kind, case in ALL_CASES])
def test_an_item_appears_with_its_link_and_disappears_when_the_record_is_done(world, login_as, kind, case):
    record_id, link, do = case(world)
    for role in ("staff", "coordinator"):
        section = _items(login_as(role), kind)
        assert f'data-record="{record_id}"' in section, (role, section[:800])
        assert f'href="{link}&amp;url=/todo/"' in section, (role, link)  # the record, or a form for it
    staff2 = _items(login_as("staff2"), kind)  # another township's worker: not theirs
    assert f'data-record="{record_id}"' not in staff2
    do()
    for role in ("staff", "coordinator"):
        assert f'data-record="{record_id}"' not in _items(login_as(role), kind), role


def test_the_count_is_the_number_of_items_listed_and_the_team_sees_overdue_by_worker(world, login_as):
    for make in CASES.values():
        make(world)
    for role in ("staff", "coordinator"):
        client = login_as(role)
        page = client.get("/todo/").get_data(as_text=True)
        listed = len(re.findall(r'class="list-group-item py-2 todo-item', page))
        assert client.get("/todo/count").get_json()["count"] == listed > 0
        assert f'id="todo-total">{listed}<' in page
    page = login_as("coordinator").get("/todo/").get_data(as_text=True)
    team = page.split('id="team-overdue"', 1)[1].split("</table>", 1)[0]
    assert "张社工" in team
    worker_url = re.search(r'href="(/todo/\?worker=[0-9a-f]{24})"', team).group(1)
    mine = login_as("coordinator").get(worker_url).get_data(as_text=True)
    assert "张社工的待办" in mine
    assert login_as("manager").get("/todo/").status_code == 403


def test_the_page_and_the_count_cost_a_fixed_number_of_commands(world, login_as, townships):
    client = login_as("coordinator")

    def cost(url):
        client.get(url)
        with count_commands() as count:
            assert client.get(url).status_code == 200
        return count.value

    for index in range(3):
        make_child(world["home"], name=f"儿童{index}", sequence=70 + index, risk_level="1", worker=world["staff"],
                   archive_date=DAYS_AGO)
    small = (cost("/todo/"), cost("/todo/count"))
    for index in range(30):
        make_child(world["home"], name=f"更多儿童{index}", sequence=100 + index, risk_level="1",
                   worker=world["staff"], archive_date=DAYS_AGO)
    assert (cost("/todo/"), cost("/todo/count")) == small


def test_lead_times_come_from_the_rule_set(world, accounts):
    """A reception follow-up due in three days is listed once the rule's lead time reaches it."""
    from models.reception import ReceptionContact
    from models.rules import RuleSet, forget_cached_rules

    create_record(ReceptionContact(
        received_at=local_now() - dt.timedelta(hours=1), caller_name="来电群众", township=world["home"],
        category="policy", matter="咨询", handled_by=world["staff"],
        follow_up_due=dt.datetime.combine(local_today() + dt.timedelta(days=3), dt.time())), None)
    listed = lambda: [i for i in todo_list(world["staff"], [world["home"].pk]).items if i.kind == "reception"]  # noqa: E731
    assert listed() == []
    rules = RuleSet.objects.get(key="todo_rules")
    before = snapshot(rules)
    rules.content = rules.content.replace('"reception_lead_days": 1', '"reception_lead_days": 3')
    update_record(rules, before, rules.version, accounts["admin"])
    forget_cached_rules()
    assert len(listed()) == 1 and not listed()[0].overdue
