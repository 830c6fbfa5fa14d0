"""Every endpoint of the data interface (views.api.data_endpoints) × every kind of caller:
no token, a malformed token, a wrong token, a revoked token, a signed-in browser session
without a token, a token whose role may not read the kind, a token of another township,
a district token; and every write method. The endpoints come from the interface's own
declarations, so a new endpoint is checked without touching this file."""

import datetime as dt
import re

import pytest

from models.api_tokens import create_token
from models.audit import AuditEntry
from models.casework import Case
from models.contracts import current_contract
from models.indicators import indicators_for
from models.services import create_record, void_record
from models.users import allowed
from views.api import FIGURES, RECORDS, data_endpoints

from .archive_helpers import make_child
from .conftest import login

OWN, FOREIGN = "东江街道", "穿山街道"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
AREAS = {spec.endpoint: spec.area for spec in RECORDS} | {endpoint: area for _p, endpoint, _t, area in FIGURES}


@pytest.fixture
def world(app, accounts, townships):
    with app.app_context():
        people = {name: make_child(townships[name], name=f"{name[:2]}儿童", sequence=index + 40)
                  for index, name in enumerate((OWN, FOREIGN))}
        for name, person in people.items():
            create_record(Case(case_type="consultation", client=person, township=townships[name],
                               worker=accounts["staff"], title=f"{name}个案", opened_on=dt.datetime(2026, 5, 1)), None)
        tokens = {"district": create_token("全区平台", "manager", [], accounts["admin"])[1],
                  "own": create_token("东江平台", "manager", [townships[OWN]], accounts["admin"])[1],
                  "coordinator": create_token("主管角色", "coordinator", [], accounts["admin"])[1],
                  "admin": create_token("管理员角色", "admin", [], accounts["admin"])[1]}
        revoked, secret = create_token("已撤销", "manager", [], accounts["admin"])
        void_record(revoked, "对方系统停用", accounts["admin"])
        tokens["revoked"] = secret
        code = indicators_for(current_contract())[0].code
    return {"tokens": tokens, "people": people, "indicator": code, "foreign_code": townships[FOREIGN].code}


def _addresses(world):
    return [(address.replace("<code>", world["indicator"]), endpoint) for address, endpoint in data_endpoints()]


def _get(client, address, token=None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(address, headers=headers, **kwargs)


def test_the_matrix_covers_every_data_endpoint(app, world):
    rules = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")}
    assert rules == {endpoint for _a, endpoint in data_endpoints()} | {"api.openapi_json"}


@pytest.mark.parametrize("caller", ["none", "malformed", "wrong", "revoked", "basic"])
def test_a_bad_token_gets_401_and_nothing_more(client, world, caller):
    token = {"none": None, "malformed": "x" * 300, "wrong": "mzapi_" + "A" * 43,
             "revoked": world["tokens"]["revoked"], "basic": None}[caller]
    for address, _endpoint in _addresses(world):
        if caller == "basic":
            response = client.get(address, headers={"Authorization": "Basic YWRtaW4xOnRlc3QxMjM0"})
        else:
            response = _get(client, address, token)
        assert response.status_code == 401, (address, caller)
        assert response.get_json() == {"error": "unauthorized"}, (address, caller)
        assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("role", ["coordinator", "manager", "admin", "staff"])
def test_a_signed_in_session_is_not_a_token(client, world, role, accounts):
    client.get("/logout")
    assert login(client, accounts[role].username).status_code == 302
    for address, _endpoint in _addresses(world):
        response = client.get(address)
        assert response.status_code == 401 and response.get_json() == {"error": "unauthorized"}, address


def test_each_token_reads_what_its_role_may_read(client, world):
    for name in ("district", "own", "coordinator", "admin"):
        role = {"district": "manager", "own": "manager"}.get(name, name)
        for address, endpoint in _addresses(world):
            response = _get(client, address, world["tokens"][name])
            expected = 200 if allowed(role, AREAS[endpoint], "view") else 403
            assert response.status_code == expected, (name, address, response.get_json())


def test_a_township_token_never_sees_another_townships_records(client, world):
    for spec in RECORDS:
        address = f"/api/v1{spec.path}"
        own = _get(client, address, world["tokens"]["own"]).get_data(as_text=True)
        district = _get(client, address, world["tokens"]["district"]).get_data(as_text=True)
        if spec.path in ("/archives", "/services/cases"):  # the kinds the world has records of
            assert FOREIGN in district and OWN in own, address
        assert FOREIGN not in own, address
        asked = _get(client, address, world["tokens"]["own"], query_string={"township": world["foreign_code"]})
        assert asked.status_code == 200 and asked.get_json()["data"] == [], address


@pytest.mark.parametrize("method", WRITE_METHODS)
def test_writes_are_refused_with_405_and_change_nothing(app, client, world, method):
    with app.app_context():
        before = {spec.path: spec.document.objects.count() for spec in RECORDS}
    for address, _endpoint in _addresses(world) + [("/api/v1/openapi.json", None), ("/api/v1/archives/x", None)]:
        response = client.open(address, method=method, headers={"Authorization": f"Bearer {world['tokens']['district']}"},
                               json={"name": "写入"})
        assert response.status_code == 405, (method, address)
        assert response.headers["Allow"] == "GET" and response.get_json()["error"] == "method_not_allowed"
    with app.app_context():
        assert {spec.path: spec.document.objects.count() for spec in RECORDS} == before


def test_every_call_is_one_audit_entry(app, client, world):
    addresses = _addresses(world)
    with app.app_context():
        before = AuditEntry.objects(action="api").count()
    for address, _endpoint in addresses:
        _get(client, address, world["tokens"]["district"])
        _get(client, address, "mzapi_wrong")
    with app.app_context():
        entries = list(AuditEntry.objects(action="api").order_by("at", "id"))[before:]
    assert len(entries) == 2 * len(addresses)
    assert {e.actor_name for e in entries} == {"接口:全区平台", "接口:未认证"}
    assert all(re.match(r"GET /api/v1/\S+ → (200|401)", e.detail) for e in entries)
