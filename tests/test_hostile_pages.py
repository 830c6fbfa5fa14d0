"""Hostile input into every page that writes beyond the create and edit forms: the
void/restore page and the list actions of every model view, and every custom POST
route of the url_map (bulk 分派社工/状态变更, risk and capability assessments, a group
session, the subsidy sample draw and import, the month close, the brief draft, the
archive import and its confirmation). The routes come from the url_map, the fields
from each page's own form and the names its code reads; hypothesis replaces some of
them with values no browser would send. Never a server error, and an answer that
says something was wrong (the page again with its message, or a redirect to one)
leaves the database as it was."""

import inspect
import re
from html.parser import HTMLParser

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from models.users import allowed

from .conftest import login
from .form_pages import CSRF_VALUE, ERROR_SHOWN, counts
from .test_hostile_forms import ENGLISH, ROLES, hostile_values, one_of_each_record

EXAMPLES_PER_PAGE = 8
#: Routes with forms of their own tested elsewhere.
ELSEWHERE = {"create_view": "test_hostile_forms", "edit_view": "test_hostile_forms",
             "ajax_update": "refused: test_view_matrix", "delete_view": "refused: test_view_matrix",
             "login": "test_auth", "change_password": "test_auth"}
READS = re.compile(r"request\.(args|values|form)\.get(list)?\(\s*\"(\w+)\"")
CONTROL = ["a\x00b", "\x00", "\x1b[31m\x07"]


class PostForms(HTMLParser):
    """The fields of a page's POST forms: name -> {kind, values, options}."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, dict] = {}
        self.in_form = False
        self.select = None

    def _add(self, name, kind, values):
        field = self.fields.setdefault(name, {"kind": kind, "values": [], "options": []})
        field["values"].extend(values)
        return field

    def handle_starttag(self, tag, attrs):
        a = {k: v if v is not None else "" for k, v in attrs}
        if tag == "form":
            self.in_form = a.get("method", "").lower() == "post"
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file", "reset"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                field = self._add(name, "select", [a.get("value", "y")] if "checked" in a else [])
                field["options"].append(a.get("value", "y"))
            else:
                self._add(name, "number" if kind == "number" else "date" if kind == "date" else kind,
                          [a.get("value", "")])
        elif tag == "select" and name:
            self.select = self._add(name, "multi-select" if "multiple" in a else "select", [])
        elif tag == "option" and self.select is not None:
            self.select["options"].append(a.get("value", ""))
            if "selected" in a:
                self.select["values"].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._add(name, "textarea", [""])

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select":
            self.select = None


def post_routes(app):
    """(rule, view, names the code reads) for every POST route but the forms tested elsewhere."""
    views = {v.endpoint: v for v in app.extensions["admin"][0]._views}
    routes = []
    for rule in app.url_map.iter_rules():
        endpoint, _, name = rule.endpoint.rpartition(".")
        if "POST" not in rule.methods or name in ELSEWHERE:
            continue
        view = views[endpoint]
        source = inspect.getsource(getattr(type(view), name))
        for helper in re.findall(r"self\.(_\w+)\(", source):
            if hasattr(type(view), helper):
                source += inspect.getsource(getattr(type(view), helper))
        routes.append((rule, view, {m[2]: m[0] for m in READS.findall(source)}))
    return routes


def _records(app, accounts, view, role):
    """Ids of a few records of the view's kind the role may see (none for a page without a kind)."""
    from flask_login import login_user

    model = getattr(view, "model", None)
    if model is None:
        return []
    with app.test_request_context():
        login_user(accounts[role])
        return [str(pk) for pk in view.get_query().order_by("-id").limit(3).scalar("id")]


def _batch(app, accounts):
    """A previewed import batch (the confirm page's record)."""
    from models.archive_import import build_template, start_batch

    with app.app_context():
        return str(start_batch(build_template("child"), "模板.xlsx", "child", 0, accounts["coordinator"]).pk)


def hostile_page_posts(app, clients, accounts, rule, view, reads, answers, batch):
    area = view.area
    roles = [r for r in ROLES if allowed(r, area, "view")] or list(ROLES)
    records = {role: _records(app, accounts, view, role) for role in roles}

    @settings(max_examples=EXAMPLES_PER_PAGE, deadline=None, derandomize=True, database=None,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def probe(data):
        role = data.draw(st.sampled_from(roles), label="role")
        client, ids = clients[role], records[role]
        path = rule.rule.replace("<batch_id>", batch)
        query = {}
        if "id" in reads and ids:
            query["id"] = ids[0]
        if "ids" in reads and ids:
            query["ids"] = ",".join(ids[:2])
        if "op" in reads:
            query["op"] = data.draw(st.sampled_from(["assign", "status"]), label="op")
        if "restore" in reads:
            query["restore"] = data.draw(st.sampled_from(["", "1"]), label="restore")
        page = client.get(path, query_string=query) if "GET" in rule.methods else None
        if page is not None and page.status_code != 200:
            return  # not this role's page, or no record to show: the matrix checks that
        forms = PostForms()
        if page is not None:
            forms.feed(page.get_data(as_text=True))
        fields = forms.fields
        for name, where in reads.items():
            if where in ("form", "values") and name not in fields and name not in query:
                fields[name] = {"kind": "text", "values": [""], "options": []}
        fields.pop("csrf_token", None)
        token = CSRF_VALUE.search(client.get("/account/password").get_data(as_text=True)).group(1)
        names = sorted(fields)
        chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True),
                           label="fields") if names else []
        changes = {name: data.draw(st.sampled_from(hostile_values(fields[name]) + CONTROL), label=name)
                   for name in chosen}
        sent = {name: (f["values"] if len(f["values"]) != 1 else f["values"][0]) for name, f in fields.items()}
        sent = {k: v for k, v in sent.items() if v != []}
        sent.update(changes)
        with app.app_context():
            before = counts(), _stored(view, ids)
        response = client.post(path, query_string=query, data={"csrf_token": token, **sent})
        answer = response.get_data(as_text=True)
        assert response.status_code < 500, (path, query, role, changes, answer[-1500:])
        answers[response.status_code] = answers.get(response.status_code, 0) + 1
        if response.status_code == 302:
            answer = client.get(response.headers["Location"]).get_data(as_text=True)  # where its message is
        if response.status_code in (400, 404) or ERROR_SHOWN.search(answer) and "alert-success" not in answer:
            assert not ENGLISH.search(answer), (path, role, changes, ENGLISH.search(answer).group(0))
            with app.app_context():
                assert (counts(), _stored(view, ids)) == before, (path, query, role, changes)

    return probe


def _stored(view, ids):
    model = getattr(view, "model", None)
    if model is None or not ids:
        return None
    from bson import ObjectId

    return list(model._get_collection().find({"_id": {"$in": [ObjectId(i) for i in ids]}}))


def test_no_page_answers_hostile_posts_with_a_server_error_or_a_half_save(app, accounts, townships):
    from seeds.demo import generate_demo_data

    with app.app_context():
        generate_demo_data(30, seed=14)
        one_of_each_record(townships, accounts)
    batch = _batch(app, accounts)
    clients = {}
    for role in ROLES:
        clients[role] = app.test_client()
        assert login(clients[role], accounts[role].username).status_code == 302
    routes = post_routes(app)
    custom = {r.endpoint for r, _v, _n in routes if not r.endpoint.endswith((".void_view", ".action_view"))}
    assert {"archive.bulk_view", "childarchive.risk_view", "groupseries.session_view", "subsidy.index",
            "archiveimport.confirm"} <= custom, custom
    failures, answers = [], {}
    for rule, view, reads in routes:
        try:
            hostile_page_posts(app, clients, accounts, rule, view, reads, answers, batch)()
        except Exception as exc:  # every page is tried; all failures are reported together
            notes = "\n".join(getattr(exc, "__notes__", []))
            failures.append(f"{rule.rule}: {type(exc).__name__}: {str(exc)[:1200]}\n{notes[:1200]}")
    assert failures == [], "\n\n".join(failures)
    assert answers.get(200, 0) + answers.get(302, 0) > 100, answers
