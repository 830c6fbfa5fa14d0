"""Offline field capture, server side: what a worker's phone is given (/field/data: only their
own people, nothing sensitive) and the synchronisation of what was recorded offline
(/field/sync: a retry never makes a second record, the forms' rules apply, a change on the
server since the download is held as a conflict and explained)."""

import base64
import datetime as dt
import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.archives import ChildArchive, ElderlyArchive
from models.audit import AuditEntry
from models.casework import GroupSeries
from models.clock import local_now
from models.patrols import Patrol
from models.periods import period_key
from models.sensitivity import sensitive_fields
from models.services import create_record, snapshot, update_record
from models.visits import Visit

from .archive_helpers import make_child, make_elder
from .conftest import login
from .test_visits import jpeg_with_exif

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _field_page_token(client) -> str:
    return client.get("/field/data").get_json()["csrf"]


def _sync(client, items, token=None):
    token = token if token is not None else _field_page_token(client)
    return client.post("/field/sync", data=json.dumps({"items": items}), content_type="application/json",
                       headers={"X-CSRFToken": token})


def _photo(data: bytes) -> dict:
    return {"name": "现场.jpg", "data": "data:image/jpeg;base64," + base64.b64encode(data).decode()}


def _yesterday(hour: int) -> dt.datetime:
    """A time of yesterday: in the past and on one day whatever the time of the run (near midnight too)."""
    return (local_now() - dt.timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)


def _visit_item(person, item_id="11111111-2222-4333-8444-555555555555", when=None, **changes):
    when = when or _yesterday(10)
    item = {"id": item_id, "kind": "visit", "recorded_at": when.strftime("%Y-%m-%dT%H:%M:%S"),
            "data": {"person": str(person.pk), "visited_at": when.strftime("%Y-%m-%dT%H:%M"), "mode": "home",
                     "contact": "made", "notes": "家中整洁，监护人在家。"},
            "based_on": {"person": str(person.pk), "version": person.version, "status": person.status,
                         "township": str(person.township.pk), "worker": str(person.worker.pk if person.worker else ""),
                         "risk_level": getattr(person, "risk_level", None) or ""},
            "photos": [_photo(jpeg_with_exif("2026:03:05 10:20:30"))]}
    item.update(changes)
    return item


def _marked(cls, township, worker, sequence, marker):
    """A person of ``cls`` with every sensitive text field filled with ``marker`` text."""
    extra = {name: f"{marker}{name}" for name, kind in sensitive_fields(cls).items()
             if name not in ("id_number",) and cls._fields[name].__class__.__name__ == "StringField"
             and not cls._fields[name].max_length}
    if cls is ChildArchive:  # due every week
        return make_child(township, name=f"对象{sequence}", sequence=sequence, worker=worker, risk_level="1", **extra)
    from models.reference import PersonCategory

    return make_elder(township, name=f"对象{sequence}", sequence=sequence, worker=worker,  # due every month
                      categories=[PersonCategory.objects(code="oldest_old").first()], **extra)


def test_the_phone_gets_only_the_workers_own_people_and_nothing_sensitive(app, client, townships, accounts):
    home = townships["东江街道"]
    staff, other = accounts["staff"], accounts["coordinator"]
    mine = [_marked(cls, home, staff, 30 + i, "敏感内容") for i, cls in enumerate((ChildArchive, ElderlyArchive))]
    theirs = make_child(home, name="他人对象", sequence=40, worker=other, risk_level="1")
    closed = make_child(home, name="结案对象", sequence=41, worker=staff, risk_level="1", status="closed",
                        status_reason="已满18岁")
    login(client, staff.username)
    response = client.get("/field/data")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    names = {p["name"] for p in body["people"]}
    assert {p.name for p in mine} <= names
    assert theirs.name not in names and closed.name not in names
    # everything sent but the form token (a time stamp and a signature: its digits can spell any four)
    text = json.dumps({key: value for key, value in body.items() if key != "csrf"}, ensure_ascii=False)
    assert response.get_data(as_text=True).count(body["csrf"]) == 1
    for person in [*mine, theirs, closed]:
        assert person.id_number not in text and person.id_number[-4:] not in text
    assert "敏感内容" not in text  # no sensitive field of any kind (侵害情况, 存在问题, ...)
    allowed_keys = {"id", "name", "address", "community", "categories", "risk_level", "risk_label", "last_visits",
                    "due", "based_on"}
    assert all(set(p) == allowed_keys for p in body["people"])
    fetched = dt.datetime.fromisoformat(body["fetched_at"])
    assert dt.datetime.fromisoformat(body["expires_at"]) - fetched == dt.timedelta(days=app.config["OFFLINE_DATA_DAYS"])


def test_a_gone_session_is_told_in_json_and_a_changed_password_ends_it(app, client, townships, accounts):
    anonymous = client.get("/field/data")
    assert anonymous.status_code == 401 and CHINESE.search(anonymous.get_json()["error"])
    assert client.post("/field/sync", json={"items": []}).status_code == 401
    login(client, accounts["manager"].username)
    assert client.get("/field/data").status_code == 403  # read-only role: no offline capture
    client.get("/logout")
    login(client, accounts["staff"].username)
    assert client.get("/field/data").status_code == 200
    from models.users import User, set_user_password

    user = User.objects(pk=accounts["staff"].pk).first()
    set_user_password(user, "Another-Pass-2026!", accounts["admin"])
    assert client.get("/field/data").status_code == 401


def test_a_sync_without_the_page_token_is_refused_and_saves_nothing(app, client, townships, accounts):
    child = make_child(townships["东江街道"], sequence=50, worker=accounts["staff"], risk_level="1")
    login(client, accounts["staff"].username)
    response = _sync(client, [_visit_item(child)], token="forged")
    assert response.status_code == 400 and response.get_json()["csrf"] is True
    assert Visit.objects.count() == 0


def test_a_visit_sent_again_is_saved_once_with_its_photo_time_and_offline_note(app, client, townships, accounts):
    child = make_child(townships["东江街道"], sequence=52, worker=accounts["staff"], risk_level="1")
    login(client, accounts["staff"].username)
    item = _visit_item(child)
    answers = [_sync(client, [item]).get_json()["results"][0] for _ in range(3)]
    assert [a["state"] for a in answers] == ["saved"] * 3, answers
    assert len({a["record"] for a in answers}) == 1
    visits = list(Visit.objects(people=child.pk))
    assert len(visits) == 1 and len(visits[0].photos) == 1
    assert visits[0].photos[0].taken_at == dt.datetime(2026, 3, 5, 10, 20, 30)
    entries = list(AuditEntry.objects(collection="visits", record_id=str(visits[0].pk)))
    assert len(entries) == 1 and entries[0].detail.startswith("离线录入于 ") and "同步于" in entries[0].detail
    # the same batch twice in one request: still one record
    second = _visit_item(child, item_id="99999999-2222-4333-8444-555555555555",
                         when=_yesterday(10) - dt.timedelta(days=1))
    results = _sync(client, [second, second]).get_json()["results"]
    assert [r["state"] for r in results] == ["saved", "saved"]
    assert Visit.objects(people=child.pk).count() == 2


def test_a_visit_recorded_on_a_past_day_counts_for_the_period_of_its_own_date(app, client, townships, accounts):
    child = make_child(townships["东江街道"], sequence=54, worker=accounts["staff"], risk_level="1")
    login(client, accounts["staff"].username)
    when = (local_now() - dt.timedelta(days=8)).replace(hour=10, minute=0, second=0, microsecond=0)
    assert _sync(client, [_visit_item(child, when=when)]).get_json()["results"][0]["state"] == "saved"
    visit = Visit.objects(people=child.pk).first()
    assert visit.week == period_key("week", when.date()) != period_key("week", local_now().date())
    assert period_key("week", when.date()) in ChildArchive.objects(pk=child.pk).first().visited_periods


def test_the_forms_rules_refuse_with_the_reason_and_a_corrected_item_is_saved(app, client, townships, accounts):
    child = make_child(townships["东江街道"], sequence=56, worker=accounts["staff"], risk_level="1")
    login(client, accounts["staff"].username)
    item = _visit_item(child, photos=[])
    refused = _sync(client, [item]).get_json()["results"][0]
    assert refused["state"] == "refused" and "至少上传一张照片" in refused["message"]
    assert Visit.objects.count() == 0
    item["photos"] = [{"name": "坏.jpg", "data": "not base64 at all!"}]
    unreadable = _sync(client, [item]).get_json()["results"][0]
    assert unreadable["state"] == "refused" and "无法读取" in unreadable["message"]
    item["photos"] = [_photo(jpeg_with_exif())]
    assert _sync(client, [item]).get_json()["results"][0]["state"] == "saved"
    assert Visit.objects.count() == 1


def _change(person, **values):
    fresh = type(person).objects(pk=person.pk).first()
    before = snapshot(fresh)
    for name, value in values.items():
        setattr(fresh, name, value)
    update_record(fresh, before, fresh.version, None)
    return fresh


def test_a_person_closed_meanwhile_is_held_and_explained_and_cannot_be_forced(app, client, townships, accounts):
    child = make_child(townships["东江街道"], sequence=58, worker=accounts["staff"], risk_level="1")
    login(client, accounts["staff"].username)
    item = _visit_item(child)
    _change(child, status="closed", status_reason="已满18岁", status_date=dt.datetime(2026, 11, 20))
    held = _sync(client, [item]).get_json()["results"][0]
    assert held["state"] == "conflict" and "已结案" in held["message"] and child.name in held["message"]
    assert "save" not in held["choices"] and {"change", "discard"} <= set(held["choices"])
    item["force"] = True
    assert _sync(client, [item]).get_json()["results"][0]["state"] == "conflict"
    assert Visit.objects.count() == 0


def test_a_person_moved_out_of_the_workers_townships_is_held_without_their_name(app, client, townships, accounts):
    child = make_child(townships["东江街道"], sequence=60, worker=accounts["staff"], risk_level="1")
    login(client, accounts["staff"].username)
    item = _visit_item(child)
    _change(child, township=townships["穿山街道"])
    held = _sync(client, [item]).get_json()["results"][0]
    assert held["state"] == "conflict" and child.name not in held["message"] and "save" not in held["choices"]
    assert Visit.objects.count() == 0


CHANGES = {
    "risk level": (lambda child, accounts, townships: _change(child, risk_level="2"), "风险等级"),
    "worker": (lambda child, accounts, townships: _change(child, worker=accounts["staff2"]), "责任社工"),
    "same-day visit": (lambda child, accounts, townships: create_record(
        Visit(people=[child], visited_at=_yesterday(9),
              mode="phone", contact="made", township=child.township), accounts["coordinator"]), "同一天"),
}


def test_every_change_that_allows_saving_is_held_until_the_worker_saves_anyway(app, client, townships, accounts):
    login(client, accounts["staff"].username)
    for index, (name, (change, said)) in enumerate(CHANGES.items()):
        child = make_child(townships["东江街道"], sequence=62 + index, worker=accounts["staff"], risk_level="1")
        item = _visit_item(child, item_id=f"aaaaaaaa-0000-4000-8000-00000000000{index}")
        change(child, accounts, townships)
        held = _sync(client, [item]).get_json()["results"][0]
        assert held["state"] == "conflict" and said in held["message"], (name, held)
        assert "save" in held["choices"], name
        assert Visit.objects(people=child.pk, mode="home").count() == 0, name
        item["force"] = True
        assert _sync(client, [item]).get_json()["results"][0]["state"] == "saved", name
        assert Visit.objects(people=child.pk, mode="home").count() == 1, name


def test_a_patrol_and_a_group_session_sent_twice_are_saved_once(app, client, townships, accounts):
    home = townships["东江街道"]
    staff = accounts["staff"]
    group = create_record(GroupSeries(title="亲子阅读小组", goal="提升亲子沟通", township=home, facilitators=[staff],
                                      members=["小明", "小红"], started_on=dt.datetime(2026, 11, 1)), staff)
    login(client, staff.username)
    today = local_now().strftime("%Y-%m-%d")
    patrol = {"id": "bbbbbbbb-0000-4000-8000-000000000001", "kind": "patrol", "recorded_at": f"{today}T20:00:00",
              "data": {"patrol_date": today, "start_time": "19:00", "end_time": "20:30", "township": str(home.pk),
                       "places": "桥下", "encounters": [{"description": "中年男性，衣着单薄", "actions": ["onsite_aid"],
                                                         "items_given": "棉被"}]}}
    session = {"id": "cccccccc-0000-4000-8000-000000000001", "kind": "session", "recorded_at": f"{today}T15:00:00",
               "data": {"group": str(group.pk), "session_date": today, "hours": "2", "topic": "共读绘本",
                        "attendance": ["小明"]}, "based_on": {"group": str(group.pk), "version": group.version}}
    for _ in range(2):
        results = _sync(client, [patrol, session]).get_json()["results"]
        assert [r["state"] for r in results] == ["saved", "saved"], results
    assert Patrol.objects.count() == 1 and Patrol.objects.first().encounters[0].items_given == "棉被"
    group.reload()
    assert group.session_count == 1 and group.sessions[0].attendance == ["小明"]
    note = AuditEntry.objects(collection="group_series", action="update").first()
    assert note.detail.startswith("离线录入于")


ITEM_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30),
                        st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5),
                                                                                   st.text(max_size=5), max_size=3))


@st.composite
def hostile_items(draw):
    """Items a broken or forged phone might send: any of the keys, any values."""
    item = draw(st.dictionaries(st.sampled_from(["id", "kind", "data", "photos", "based_on", "force", "recorded_at"]),
                                ITEM_VALUES, max_size=7))
    if draw(st.booleans()):
        item["id"] = draw(st.from_regex(r"[A-Za-z0-9-]{8,20}", fullmatch=True))
        item["kind"] = draw(st.sampled_from(["visit", "patrol", "session", "other"]))
        item["data"] = draw(st.dictionaries(st.sampled_from(
            ["person", "visited_at", "mode", "contact", "notes", "patrol_date", "township", "places", "encounters",
             "group", "session_date", "hours", "attendance", "start_time", "end_time"]), ITEM_VALUES, max_size=8))
    return item


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(items=st.lists(st.one_of(hostile_items(), ITEM_VALUES), max_size=3))
def test_hostile_items_get_a_chinese_reason_each_and_save_nothing(app, client, townships, accounts, items):
    client.get("/logout")
    login(client, accounts["staff"].username)
    response = _sync(client, items)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    results = response.get_json()["results"]
    assert len(results) == len(items)
    for result in results:
        assert result["state"] == "refused" and CHINESE.search(result["message"]), result
    assert Visit.objects.count() == 0 and Patrol.objects.count() == 0


def test_the_phone_data_costs_the_same_few_commands_for_three_people_or_thirty(app, client, townships, accounts):
    from .dbcount import count_commands

    staff = accounts["staff"]

    def add(first, n):
        for sequence in range(first, first + n):
            child = make_child(townships["东江街道"], name=f"对象{sequence}", sequence=sequence, worker=staff,
                               risk_level="1")
            create_record(Visit(people=[child], visited_at=local_now() - dt.timedelta(days=2), mode="phone",
                                contact="made", township=child.township), staff)

    def commands():
        client.get("/field/data")
        with count_commands() as count:
            body = client.get("/field/data").get_json()
        return count.value, len(body["people"])

    add(100, 3)
    login(client, staff.username)
    small, people = commands()
    assert people == 3
    add(200, 27)
    large, people = commands()
    assert people == 30 and small == large, (small, large)


def test_the_installable_page_loads_nothing_from_elsewhere(app, client, accounts):
    login(client, accounts["staff"].username)
    page = client.get("/field/").get_data(as_text=True)
    worker = client.get("/field/sw.js")
    assert worker.status_code == 200 and "javascript" in worker.content_type
    manifest = json.loads(client.get("/static/manifest.webmanifest").get_data(as_text=True))
    assert manifest["start_url"] == "/field/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200, icon
    assert 'rel="manifest"' in page
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/") for s in sources), sources
    for text in (page, worker.get_data(as_text=True), client.get("/static/js/offline.js").get_data(as_text=True)):
        assert not re.search(r"https?://", text)


def test_the_phones_id_of_a_session_is_in_no_form(app, client, townships, accounts):
    staff = accounts["staff"]
    group = create_record(GroupSeries(title="成长小组", goal="自我认识", township=townships["东江街道"],
                                      facilitators=[staff], members=["甲"], started_on=dt.datetime(2026, 11, 1)), staff)
    login(client, staff.username)
    for url in ("/groupseries/new/", f"/groupseries/edit/?id={group.pk}", "/case/new/"):
        page = client.get(url)
        assert page.status_code == 200 and "offline_id" not in page.get_data(as_text=True), url
