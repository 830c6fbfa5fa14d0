"""The data interface on demo data: the same figures as the indicator page (generated over
every indicator, for the district and for one township), masking, paging and filters,
the flood limit, tokens shown once and stored as digests, and its description."""

import datetime as dt
import re

import pytest

from admin_app.accounts import create_user
from models import idnumber
from models.api_tokens import ApiToken, create_token
from models.archives import Archive
from models.briefs import close_month
from models.clock import local_now, local_today
from models.contracts import current_contract
from models.indicators import measure_all
from views.api import RECORDS, data_endpoints

from .conftest import PASSWORD, csrf_token, login, make_app
from .dbcount import count_commands

OWN = "东江街道"
ACHIEVED_RE = re.compile(r'<tr id="indicator-([a-z0-9_-]+)">.*?<td class="achieved"><a [^>]*>([^<]*)</a>', re.S)
FULL_ID_RE = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9X])")


@pytest.fixture
def demo(app, accounts, townships):
    from seeds.demo import generate_demo_data

    with app.app_context():
        generate_demo_data(60, seed=21)
        tokens = {"district": create_token("全区平台", "manager", [], accounts["admin"])[1],
                  "own": create_token("东江平台", "manager", [townships[OWN]], accounts["admin"])[1],
                  "coordinator": create_token("主管角色", "coordinator", [], accounts["admin"])[1]}
        create_user("zhuguan_dj", "coordinator", "东江主管", PASSWORD, townships=[townships[OWN]])
    return tokens


def _get(client, address, token, **kwargs):
    return client.get(address, headers={"Authorization": f"Bearer {token}"}, **kwargs)


def _page_figures(client, username) -> dict:
    client.get("/logout")
    assert login(client, username).status_code == 302
    page = client.get("/indicators/").get_data(as_text=True)
    return {code.replace("-", "."): text.strip() for code, text in ACHIEVED_RE.findall(page)}


@pytest.mark.parametrize(("username", "token"), [("zhuguan", "district"), ("zhuguan_dj", "own")])
def test_every_indicator_has_the_figure_of_the_indicator_page(app, client, demo, username, token, townships):
    page = _page_figures(client, username)
    body = _get(client, "/api/v1/indicators", demo[token]).get_json()
    with app.app_context():
        scope = None if token == "district" else [townships[OWN].pk]
        measured = {m.indicator.code: m for m in measure_all(current_contract(), local_today(), scope)}
    assert len(body["data"]) == len(measured) == len(page) > 20
    reached = 0
    for row in body["data"]:
        m = measured[row["code"]]
        assert m.quantity(row["achieved"]) == page[row["code"]], row["code"]
        assert row["achieved"] == float(m.achieved) and row["target"] == float(m.target), row["code"]
        assert [(s["month"], s["value"]) for s in row["series"]] == [
            (k, None if v is None else float(v)) for k, v in m.series], row["code"]
        one = _get(client, f"/api/v1/indicators/{row['code']}", demo[token]).get_json()["data"]
        assert {k: one[k] for k in row} == row, row["code"]
        reached += row["achieved"] > 0
    assert reached >= 10  # real numbers are compared


def test_a_township_tokens_figures_are_its_townships(client, demo):
    district = {r["code"]: r["achieved"] for r in _get(client, "/api/v1/indicators", demo["district"]).get_json()["data"]}
    own = {r["code"]: r["achieved"] for r in _get(client, "/api/v1/indicators", demo["own"]).get_json()["data"]}
    assert any(own[code] < district[code] for code in district)


def test_month_closes_are_the_frozen_figures(app, client, demo, accounts):
    with app.app_context():
        contract = current_contract()
        month = contract.start_date.strftime("%Y-%m")
        closed = close_month(contract, month, accounts["coordinator"])
        frozen = [(f.code, f.month_value, f.achieved, f.target, f.status) for f in closed.figures]
    body = _get(client, "/api/v1/month-closes", demo["district"]).get_json()["data"]
    assert [c["month"] for c in body] == [month]
    assert [(f["code"], f["month_value"], f["achieved"], f["target"], f["status"]) for f in body[0]["figures"]] == frozen


@pytest.mark.parametrize("token", ["district", "coordinator"])
def test_id_numbers_leave_masked_whatever_the_tokens_role(app, client, demo, token):
    with app.app_context():
        stored = {str(a.pk): a.id_number for a in Archive.objects(voided=False, status="active") if a.id_number}
    seen = 0
    for address, _endpoint in data_endpoints():
        if "<code>" in address:
            continue
        text = _get(client, address, demo[token]).get_data(as_text=True)
        assert not FULL_ID_RE.search(text), address
    for row in _walk(client, "/api/v1/archives", demo[token], {"limit": "50"}):
        if row["id"] in stored:
            assert row["id_number"] == idnumber.mask(stored[row["id"]])
            seen += 1
    assert seen >= 30


def _walk(client, address, token, args) -> list:
    rows, cursor = [], None
    for _page in range(1000):
        query = dict(args) | ({"after": cursor} if cursor else {})
        body = _get(client, address, token, query_string=query).get_json()
        rows += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            return rows
    raise AssertionError("the cursor never ends")


@pytest.mark.parametrize("spec", RECORDS, ids=lambda s: s.path)
def test_cursor_pages_hold_every_record_once_and_filters_narrow(app, client, demo, townships, spec):
    with app.app_context():
        collection = spec.document._get_collection()
        everything = sorted(str(son["_id"]) for son in collection.find({"voided": False}, {"_id": 1}))
        own = sorted(str(son["_id"]) for son in collection.find({"voided": False, "township": townships[OWN].pk},
                                                                 {"_id": 1}))
        dates = sorted(son[spec.date_field] for son in collection.find({"voided": False}, {spec.date_field: 1})
                       if son.get(spec.date_field))
    address = f"/api/v1{spec.path}"
    assert [r["id"] for r in _walk(client, address, demo["district"], {"limit": "7"})] == everything
    assert [r["id"] for r in _walk(client, address, demo["own"], {"limit": "7"})] == own
    assert [r["id"] for r in _walk(client, address, demo["district"], {"township": townships[OWN].code})] == own
    if dates:
        middle = dates[len(dates) // 2].date()
        since = _walk(client, address, demo["district"], {"since": middle.isoformat()})
        until = _walk(client, address, demo["district"], {"until": (middle - dt.timedelta(days=1)).isoformat()})
        assert len(since) + len(until) == len(everything)
        assert len(since) == sum(1 for d in dates if d.date() >= middle)
    for bad in ({"since": "2026-13-01"}, {"after": "zzz"}, {"limit": "0"}, {"township": "x"}):
        response = _get(client, address, demo["district"], query_string=bad)
        assert response.status_code == 400 and response.get_json()["message"], bad


def test_the_archive_list_cost_does_not_grow_with_the_page_or_the_collection(app, client, demo, monkeypatch):
    from models import api_tokens
    from seeds.demo import generate_archives

    # one minute throughout: its first call clears the token's older counts, a later minute's would again
    now = api_tokens.local_now()
    monkeypatch.setattr(api_tokens, "local_now", lambda: now)
    _get(client, "/api/v1/archives", demo["district"])

    def commands(limit):
        with count_commands() as counted:
            assert _get(client, "/api/v1/archives", demo["district"], query_string={"limit": limit}).status_code == 200
        return counted.value

    small, large = commands(5), commands(60)
    with app.app_context():
        generate_archives(200, seed=22)
    assert small == large == commands(60)


def test_a_flood_is_refused_with_429_per_token(accounts):
    app = make_app(API_CALLS_PER_MINUTE=3)
    with app.app_context():
        from seeds.loader import load_reference_data

        load_reference_data()
        first = create_token("甲平台", "manager", [], None)[1]
        second = create_token("乙平台", "manager", [], None)[1]
    client = app.test_client()
    answers = [_get(client, "/api/v1/archives", first).status_code for _ in range(5)]
    assert answers == [200, 200, 200, 429, 429]
    refused = _get(client, "/api/v1/archives", first)
    assert refused.headers["Retry-After"] == "60" and "每分钟最多 3 次" in refused.get_json()["message"]
    assert _get(client, "/api/v1/archives", second).status_code == 200


def test_a_token_is_shown_once_and_kept_as_a_digest(app, login_as, townships):
    client = login_as("admin")
    url = "/apitoken/new/"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "name": "局数据平台", "role": "manager",
                                      "townships": [str(townships[OWN].pk)]}, follow_redirects=True)
    secret = re.search(r"生成令牌：(mzapi_[A-Za-z0-9_-]+)", response.get_data(as_text=True)).group(1)
    assert _get(app.test_client(), "/api/v1/archives", secret).status_code == 200
    assert secret not in client.get("/apitoken/").get_data(as_text=True)
    with app.app_context():
        from mongoengine.connection import get_db

        database = get_db()
        for name in database.list_collection_names():
            assert secret not in str(list(database[name].find())), name
        token = ApiToken.objects(name="局数据平台").first()
        assert token.last_used_at is not None and token.township_ids() == [townships[OWN].pk]
    void = f"/apitoken/void/?ids={token.pk}"
    assert client.post(void, data={"csrf_token": csrf_token(client, void), "ids": str(token.pk),
                                   "reason": "对方系统停用"}).status_code == 302
    assert _get(app.test_client(), "/api/v1/archives", secret).status_code == 401  # revoked


def test_tokens_are_the_admins(login_as):
    for role, status in (("admin", 200), ("coordinator", 403), ("manager", 403), ("staff", 403)):
        assert login_as(role).get("/apitoken/").status_code == status, role


def test_the_description_and_the_chinese_page_name_every_endpoint_and_field(client, login_as):
    description = client.get("/api/v1/openapi.json").get_json()
    assert description["openapi"].startswith("3.")
    paths = description["paths"]
    assert {re.sub(r"<(\w+)>", r"{\1}", address) for address, _e in data_endpoints()} == set(paths)
    guide = login_as("manager").get("/api-guide/").get_data(as_text=True)
    for spec in RECORDS:
        schema = paths[f"/api/v1{spec.path}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert set(schema["properties"]["data"]["items"]["properties"]) == {out.name for out in spec.fields}
        assert f"GET /api/v1{spec.path}" in guide
        for out in spec.fields:
            assert f"<code>{out.name}</code>" in guide, out.name


def test_a_visit_reads_with_its_people_and_photo_count(app, client, demo, townships):
    from models.services import create_record
    from models.visits import Visit, add_photo

    from .archive_helpers import make_child
    from .helpers import png_bytes

    with app.app_context():
        person = make_child(townships[OWN], name="接口儿童", sequence=91)
        visit = Visit(people=[person], visited_at=local_now() - dt.timedelta(minutes=5), mode="home",
                      contact="made", township=person.township)
        for color in ((3, 4, 5), (6, 7, 8)):
            add_photo(visit, png_bytes(color=color), "p.png", 5 * 1024 * 1024)
        visit = create_record(visit, None)
    rows = _walk(client, "/api/v1/visits", demo["own"], {"since": (local_today() - dt.timedelta(days=1)).isoformat()})
    row = next(r for r in rows if r["id"] == str(visit.pk))
    assert row["photo_count"] == 2 and row["people"] == [{"id": str(person.pk), "name": "接口儿童"}]
    assert row["township"] == {"code": townships[OWN].code, "name": OWN} and row["counts_as_home_visit"] == "yes"
