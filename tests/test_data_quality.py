"""The data-quality page: every check finds the cases planted for it and nothing in clean
data; each figure opens a list of exactly its records; the page's cost does not grow with
the archives; the bulk fixes (assign a worker, merge two duplicates) keep every history."""

import datetime as dt
import re

import mongoengine
import pytest

from admin_app.accounts import create_user
from models import idnumber
from models.archives import ARCHIVE_KINDS, Archive, ChildArchive, ElderlyArchive
from models.assessments import add_months
from models.audit import AuditEntry
from models.casework import Case
from models.clock import local_now, local_today
from models.data_quality import CHECKS, run_checks, settings
from models.reference import Community, PersonCategory
from models.rules import get_rules
from models.services import create_record
from models.visits import Visit, add_photo

from .conftest import PASSWORD, csrf_token, login
from .dbcount import count_commands
from .helpers import png_bytes

OWN, OTHER = "东江街道", "穿山街道"
SEQUENCE = iter(range(300, 999))
#: A category of each kind that sets no age of its own (the clean data's).
PLAIN_CATEGORY = {"child": "child_in_difficulty", "elderly": "destitute_elderly", "homeless": "homeless"}
#: Clean people: (kind, name, birth date); names far apart in sound and writing, birth dates all different.
CLEAN = [("child", "赵一鸣", dt.date(2015, 2, 3)), ("child", "钱二丫", dt.date(2016, 7, 9)),
         ("elderly", "孙三才", dt.date(1941, 4, 5)), ("elderly", "周四海", dt.date(1944, 8, 1)),
         ("homeless", "吴五常", dt.date(1970, 3, 3))]
LIST_COUNT_RE = re.compile(r'class="nav-link active">列表(?: \((\d+)\))?</a>')
FIGURE_RE = re.compile(r'data-code="(\w+)" href="([^"]+)">(\d+)</a>')


def _fill(kind: str, township, worker) -> dict:
    """Every item the completeness rules require of ``kind``, filled from the field's type."""
    rules = get_rules("archive_rules")["completeness"]
    document = ARCHIVE_KINDS[kind]
    values = {}
    for name in {**rules["common"], **rules.get(kind, {})}:
        field = document._fields[name]
        if name in ("name", "birth_date", "township", "id_number", "sex"):  # the number gives the sex
            continue
        if name == "worker":
            values[name] = worker
        elif name == "community":
            values[name] = Community.objects(township=township.pk).first()
        elif name == "categories":
            values[name] = [PersonCategory.objects(code=PLAIN_CATEGORY[kind]).first()]
        elif field.choices:
            first = field.choices[0]
            values[name] = first[0] if isinstance(first, (tuple, list)) else first
        elif isinstance(field, mongoengine.DateTimeField):
            values[name] = dt.datetime(2026, 1, 5)
        else:
            values[name] = "已填写" if not name.endswith("phone") else "13800000000"
    return values


def make_person(kind, name, birth, township, worker, **extra):
    values = {"name": name, "township": township, "birth_date": dt.datetime.combine(birth, dt.time()),
              "id_number": idnumber.make("450305", birth, next(SEQUENCE)), **_fill(kind, township, worker)}
    values.update(extra)
    return create_record(ARCHIVE_KINDS[kind](**{k: v for k, v in values.items() if v is not None}), None)


def stored_as(record, **raw):
    """Change a stored archive behind the rules' back (an old import, a rule changed since)."""
    Archive._get_collection().update_one({"_id": record.pk}, {"$set": raw})


def visit(person, when, photo: bytes | None):
    record = Visit(people=[person], visited_at=when, mode="home", contact="made", township=person.township)
    add_photo(record, photo or png_bytes(color=(next(SEQUENCE) % 250, 7, 9)), "p.png", 5 * 1024 * 1024)
    return create_record(record, None)


@pytest.fixture
def clean(app, accounts, townships):
    """Complete, consistent, visited archives in two townships, each with a visit of its own photo."""
    with app.app_context():
        for name in (OWN, OTHER):
            if Community.objects(township=townships[name].pk).first() is None:
                create_record(Community(township=townships[name], name=f"{name}幸福社区"), None)
        made = []
        for index, (kind, name, birth) in enumerate(CLEAN):
            township = townships[OWN if index % 2 == 0 else OTHER]
            person = make_person(kind, name, birth, township, accounts["staff"])
            if kind != "homeless":
                visit(person, local_now() - dt.timedelta(days=3 + index), None)
            made.append(person)
        assert all(p.complete for p in made), [(p.name, p.missing_items) for p in made]
    return made


def _years_ago(years: int, days: int = 0) -> dt.date:
    today = local_today()
    return today.replace(year=today.year - years) - dt.timedelta(days=days)


# ---------------------------------------------------------------- what each check is planted with

def _plant_incomplete(t, w):
    person = make_person("child", "冯六六", dt.date(2014, 1, 2), t[OWN], w, current_address=None)
    return {person.pk}


def _plant_id_invalid(t, w):
    wrong_digit = make_person("elderly", "陈七七", dt.date(1950, 1, 2), t[OWN], w)
    number = wrong_digit.id_number
    stored_as(wrong_digit, id_number=number[:17] + ("0" if number[17] != "0" else "1"))
    other_birth = make_person("elderly", "褚八八", dt.date(1951, 3, 4), t[OTHER], w)
    stored_as(other_birth, birth_date=dt.datetime(1951, 3, 5))
    other_sex = make_person("child", "卫九九", dt.date(2013, 5, 6), t[OWN], w)
    stored_as(other_sex, sex="男" if other_sex.sex == "女" else "女")
    return {wrong_digit.pk, other_birth.pk, other_sex.pk}


def _aged(kind, name, birth, t, w, **extra):
    """An archive saved while it met its kind's age, whose person is now outside it (number and date agree)."""
    person = make_person(kind, name, dt.date(2015, 1, 1) if kind == "child" else dt.date(1940, 1, 1), t, w, **extra)
    stored_as(person, birth_date=dt.datetime.combine(birth, dt.time()),
              id_number=idnumber.make("450305", birth, next(SEQUENCE)))
    return person.pk


def _plant_age_out_of_range(t, w):
    left_behind = PersonCategory.objects(code="left_behind_child").first()
    return {_aged("child", "蒋十一", _years_ago(18, 3), t[OWN], w),
            _aged("child", "沈十二", _years_ago(16, 3), t[OTHER], w, categories=[left_behind]),
            _aged("elderly", "韩十三", _years_ago(59), t[OWN], w)}


def _plant_duplicate_id_number(t, w):
    first = make_person("elderly", "杨十四", dt.date(1945, 6, 7), t[OWN], w)
    old_form = first.id_number[:6] + first.id_number[8:17]  # the same person's 15-digit number
    second = make_person("elderly", "杨石四", dt.date(1945, 6, 7), t[OWN], w, id_number=old_form)
    return {first.pk, second.pk}


def _plant_duplicate_name_birth(t, w):
    first = make_person("child", "朱十五", dt.date(2012, 9, 9), t[OWN], w)
    second = make_person("child", "朱十五", dt.date(2012, 9, 9), t[OWN], w)
    make_person("child", "朱十五", dt.date(2012, 9, 10), t[OWN], w)  # a day apart: another child
    return {first.pk, second.pk}


def _plant_similar_name(t, w):
    birth = dt.date(2017, 10, 10)
    same_sound = [make_person("child", name, birth, t[OWN], w) for name in ("王小明", "汪晓明")]
    one_apart = [make_person("child", name, birth, t[OTHER], w) for name in ("李红梅", "李红霞")]
    # the same names a township apart, or a day apart, are not suspected
    make_person("child", "秦小明", birth, t[OTHER], w)
    make_person("child", "王小鸣", birth + dt.timedelta(days=1), t[OWN], w)
    return {p.pk for p in same_sound + one_apart}


def _plant_no_worker(t, w):
    return {make_person("child", "尤十六", dt.date(2011, 11, 11), t[OWN], None).pk}


def _plant_not_visited(t, w):
    months = settings()["not_visited_months"]
    long_ago = dt.datetime.combine(add_months(dt.datetime.combine(local_today(), dt.time()), -months - 1), dt.time())
    never = make_person("child", "许十七", dt.date(2010, 12, 12), t[OWN], w, archive_date=long_ago)
    once = make_person("elderly", "何十八", dt.date(1939, 2, 2), t[OTHER], w)
    stored_as(once, last_visited_at=long_ago)
    make_person("homeless", "吕十九", dt.date(1969, 2, 2), t[OWN], w, archive_date=long_ago)  # no home visits
    return {never.pk, once.pk}


def _plant_photo_reused(t, w):
    photo = png_bytes(color=(1, 99, 1))
    people = [make_person("child", name, birth, t[OWN], w) for name, birth in
              (("施二十", dt.date(2014, 4, 4)), ("张廿一", dt.date(2014, 5, 5)))]
    now = local_now() - dt.timedelta(minutes=5)
    return {visit(people[0], now - dt.timedelta(days=1), photo).pk, visit(people[1], now, photo).pk}


PLANTS = {code[len("_plant_"):]: function for code, function in globals().items() if code.startswith("_plant_")}


def test_every_check_has_planted_cases():
    assert set(PLANTS) == set(CHECKS)


def _found(townships=None) -> dict:
    _snap, results = run_checks(townships)
    return {check.code: set(finding.ids) for check, finding in results}


def test_clean_data_gives_no_finding(app, clean):
    with app.app_context():
        assert _found() == {code: set() for code in CHECKS}


@pytest.mark.parametrize("code", sorted(CHECKS))
def test_each_check_finds_its_planted_cases_and_nothing_else(app, clean, accounts, townships, code):
    with app.app_context():
        planted = PLANTS[code](townships, accounts["staff"])
        assert _found()[code] == planted
        home = townships[OWN].pk
        document = CHECKS[code].document()
        within = {pk for pk in planted if document.objects(pk=pk).first().township.pk == home}
        assert _found([home])[code] == within  # a township's coordinator sees its own only


@pytest.fixture
def planted(app, clean, accounts, townships):
    with app.app_context():
        return {code: plant(townships, accounts["staff"]) for code, plant in PLANTS.items()}


@pytest.fixture
def scoped_coordinator(app, townships):
    with app.app_context():
        return create_user("zhuguan_dj", "coordinator", "东江主管", PASSWORD, townships=[townships[OWN]])[0]


def _as(client, username):
    client.get("/logout")
    assert login(client, username).status_code == 302


def _listed(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    match = LIST_COUNT_RE.search(response.get_data(as_text=True))
    assert match, url
    return int(match.group(1) or 0)


@pytest.mark.parametrize("who", ["zhuguan", "zhuguan_dj", "admin1"])
def test_every_figure_opens_a_list_of_exactly_its_records(app, planted, client, scoped_coordinator, who):
    _as(client, who)
    page = client.get("/data-quality/").get_data(as_text=True)
    figures = {code: (url.replace("&amp;", "&"), int(n)) for code, url, n in FIGURE_RE.findall(page)}
    assert set(figures) == set(CHECKS)
    for code, (url, figure) in figures.items():
        assert figure > 0, code
        assert _listed(client, url) == figure, f"{CHECKS[code].label}：{figure}，列表 {_listed(client, url)}"


def test_the_page_is_for_coordinators_and_admins(app, planted, login_as):
    for role, status in (("staff", 403), ("manager", 403), ("coordinator", 200), ("admin", 200)):
        assert login_as(role).get("/data-quality/").status_code == status, role
    admin_page = login_as("admin").get("/data-quality/").get_data(as_text=True)
    assert "核对合并" not in admin_page and "批量分派社工" not in admin_page  # the admin reads archives only


def test_the_page_cost_does_not_grow_with_the_archives(app, clean, accounts, townships, login_as):
    client = login_as("coordinator")
    client.get("/data-quality/")
    with count_commands() as before:
        assert client.get("/data-quality/").status_code == 200
    with app.app_context():
        for plant in PLANTS.values():
            plant(townships, accounts["staff"])
    with count_commands() as after:
        assert client.get("/data-quality/").status_code == 200
    assert after.value == before.value


def test_bulk_assignment_from_the_page_leaves_none_unassigned(app, planted, login_as, accounts):
    client = login_as("coordinator")
    page = client.get("/data-quality/").get_data(as_text=True)
    link = re.search(r'href="([^"]+)">批量分派社工', page).group(1).replace("&amp;", "&")
    form = client.get(link).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    ids = re.search(r'name="ids" value="([^"]+)"', form).group(1)
    response = client.post(link, data={"csrf_token": token, "ids": ids, "op": "assign",
                                       "worker": str(accounts["staff"].pk)})
    assert response.status_code == 302
    with app.app_context():
        assert _found()["no_worker"] == set()
        assert all(Archive.objects(pk=pk).first().worker.pk == accounts["staff"].pk for pk in planted["no_worker"])


# ---------------------------------------------------------------- merge


@pytest.fixture
def twins(app, clean, accounts, townships):
    """The same child filed twice in one township: the second with a visit, a case and another phone."""
    with app.app_context():
        birth = dt.date(2013, 3, 3)
        kept = make_person("child", "郑小雨", birth, townships[OWN], accounts["staff"], phone="13900000001")
        other = make_person("child", "郑晓雨", birth, townships[OWN], accounts["staff"], phone="13900000002")
        seen = visit(other, local_now() - dt.timedelta(days=1), None)
        case = create_record(Case(case_type="consultation", client=other, township=townships[OWN],
                                  worker=accounts["staff"], title="学业咨询", opened_on=dt.datetime(2026, 5, 1)), None)
    return {"kept": kept, "other": other, "visit": seen, "case": case}


def _merge_url(twins):
    return f"/data-quality/merge/?kept={twins['kept'].pk}&other={twins['other'].pk}"


def test_the_page_offers_the_merge_of_likely_duplicates(app, twins, login_as):
    page = login_as("coordinator").get("/data-quality/").get_data(as_text=True)
    assert _merge_url(twins).replace("&", "&amp;") in page
    review = login_as("coordinator").get(_merge_url(twins)).get_data(as_text=True)
    assert "郑小雨" in review and "郑晓雨" in review and "13900000002" in review


def test_a_merge_keeps_both_histories_and_is_audited(app, twins, login_as):
    client = login_as("coordinator")
    url = _merge_url(twins)
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "take_phone": "other",
                                      "reason": "同一人重复建档，已电话核实"})
    assert response.status_code == 302
    kept, other = twins["kept"].pk, twins["other"].pk
    with app.app_context():
        merged = Archive.objects(pk=kept).first()
        gone = Archive.objects(pk=other).first()
        assert merged.phone == "13900000002" and merged.name == "郑小雨"
        assert gone.voided and str(kept) in gone.void_reason and "同一人重复建档" in gone.void_reason
        assert [p.pk for p in Visit.objects(pk=twins["visit"].pk).first().people] == [kept]
        assert Case.objects(pk=twins["case"].pk).first().client.pk == kept
        assert merged.last_visited_at is not None and gone.last_visited_at is None  # the visit counts for the kept
        trail = {(e.record_id, e.action) for e in AuditEntry.objects}
        assert {(str(other), "create"), (str(other), "void"), (str(kept), "create"), (str(kept), "update"),
                (str(kept), "merge"), (str(twins["visit"].pk), "update"), (str(twins["case"].pk), "update")} <= trail
        assert _found()["similar_name"] == set()
    details = client.get(f"/childarchive/details/?id={kept}").get_data(as_text=True)
    assert "学业咨询" in details  # the case is on the kept person's file


def test_a_refused_merge_changes_nothing(app, twins, login_as):
    client = login_as("coordinator")
    url = _merge_url(twins)
    with app.app_context():
        before = AuditEntry.objects.count()
    page = client.post(url, data={"csrf_token": csrf_token(client, url), "take_phone": "other", "reason": " "})
    assert page.status_code == 200 and "请填写合并原因。" in page.get_data(as_text=True)
    assert 'value="other" checked' in page.get_data(as_text=True)  # the choices made stay
    with app.app_context():
        assert AuditEntry.objects.count() == before
        assert not Archive.objects(pk=twins["other"].pk).first().voided
        assert Archive.objects(pk=twins["kept"].pk).first().phone == "13900000001"


def test_archives_of_different_kinds_are_not_merged(app, clean, login_as):
    child = next(p for p in clean if isinstance(p, ChildArchive))
    elder = next(p for p in clean if isinstance(p, ElderlyArchive) and p.township.pk == child.township.pk)
    client = login_as("coordinator")
    url = f"/data-quality/merge/?kept={child.pk}&other={elder.pk}"
    page = client.post(url, data={"csrf_token": csrf_token(client, url), "reason": "测试"}).get_data(as_text=True)
    assert "只能合并同一类档案" in page


def test_the_merge_review_follows_roles_and_scope(app, twins, client, scoped_coordinator, accounts, townships):
    with app.app_context():
        foreign = make_person("child", "郑小语", dt.date(2013, 3, 3), townships[OTHER], accounts["staff"])
    own_pair = _merge_url(twins)
    cross = f"/data-quality/merge/?kept={twins['kept'].pk}&other={foreign.pk}"
    for who, pair, status in (("zhuguan_dj", own_pair, 200), ("zhuguan_dj", cross, 404), ("zhuguan", cross, 200),
                              ("shegong", own_pair, 403), ("admin1", own_pair, 403), ("guanli", own_pair, 403)):
        _as(client, who)
        assert client.get(pair).status_code == status, (who, pair)
