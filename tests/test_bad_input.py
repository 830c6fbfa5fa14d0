"""Bad input found by an outside probe: each answered with a Chinese message,
never a server error, the user's input kept and nothing saved; and a database
outage answered quickly with an honest Chinese page."""

import inspect
import re
from unittest import mock

import pytest
from flask_login.utils import _create_identifier
from pymongo.errors import AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError

from admin_app.extensions import login_manager
from models.activities import CommunityEvent
from models.archives import ChildArchive, HomelessArchive
from models.audit import AuditEntry
from models.budget import Expense
from models.escorts import ReturneeEscort
from models.patrols import Patrol
from models.reception import ReceptionContact
from models.reference import Township
from models.users import User

from .archive_helpers import make_child, make_elder
from .conftest import csrf_token, demo_data, make_app, on_ferretdb
from .form_pages import CSRF_VALUE, counts, form_fields, posted, stored
from .test_view_matrix import OWN, Factory

NOT_A_CHOICE = "请从列表中选择"
CJK = re.compile(r"[\u4e00-\u9fff]")
BAD_VALUES = ["zzz", "", "true", "1e309", "ffffffffffffffffffffffff"]


@pytest.fixture
def demo(app, accounts):
    with app.app_context():
        demo_data(accounts, 30, seed=14)
    return accounts


def _edit(client, url, changes):
    """Open an edit form, change some fields, post it; the answer and the fields sent."""
    page = client.get(url).get_data(as_text=True)
    fields = form_fields(page)
    data = {"csrf_token": CSRF_VALUE.search(page).group(1), **posted(fields, changes)}
    return client.post(url, data=data), data


# (view, model, role, reference field, a text field to see kept) -- the forms the probe named
REFERENCE_FORMS = [
    ("patrol", Patrol, "coordinator", "township", "places"),
    ("expense", Expense, "coordinator", "line", "purpose"),
    ("escort", ReturneeEscort, "coordinator", "person", "handover_place"),
    ("event", CommunityEvent, "coordinator", "township", "place"),
    ("reception", ReceptionContact, "coordinator", "person", "matter"),
    ("homelessarchive", HomelessArchive, "coordinator", "township", "description"),
    ("user", User, "admin", "townships", "display_name"),
]


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize(("endpoint", "model", "role", "field", "text"), REFERENCE_FORMS,
                         ids=[f[0] for f in REFERENCE_FORMS])
def test_a_bad_reference_is_a_field_error_with_the_input_kept(demo, login_as, endpoint, model, role, field, text,
                                                              value):
    client = login_as(role)
    with client.application.app_context():
        record = model.objects(voided__ne=True).order_by("-id").first()
        before, stored_before = counts(), stored(model, record.pk)
    url = f"/{endpoint}/edit/?id={record.pk}"
    fields = form_fields(client.get(url).get_data(as_text=True))
    assert field in fields, sorted(fields)
    if value == "" and fields[field]["kind"] in ("multi-select", "ajax-multi"):
        value = ["", "zzz"]
    response, _ = _edit(client, url, {field: value, text: "核对用的文字"})
    page = response.get_data(as_text=True)
    if value == "" and response.status_code == 302:
        return  # an optional reference left blank is a choice, not bad input
    assert response.status_code == 200, (value, response.status_code)
    assert NOT_A_CHOICE in page or "此项为必填" in page, value
    assert "核对用的文字" in page  # the user's input stays in the form
    with client.application.app_context():
        assert counts() == before and stored(model, record.pk) == stored_before


def test_a_record_chosen_twice_in_a_multiple_choice_is_taken_once(demo, login_as, townships):
    client = login_as("admin")
    user = demo["staff2"]
    home = str(townships["东江街道"].pk)
    response, _ = _edit(client, f"/user/edit/?id={user.pk}", {"townships": [home, home]})
    assert response.status_code == 302
    assert [t.pk for t in User.objects.get(pk=user.pk).townships] == [townships["东江街道"].pk]
    client = login_as("coordinator")
    patrol = Patrol.objects(voided__ne=True).first()
    worker = str(demo["staff"].pk)
    response, _ = _edit(client, f"/patrol/edit/?id={patrol.pk}", {"staff": f"{worker},{worker}"})
    assert response.status_code == 302
    assert [u.pk for u in Patrol.objects.get(pk=patrol.pk).staff] == [demo["staff"].pk]


def test_a_multiple_choice_with_one_bad_value_saves_nothing(demo, login_as, townships):
    client = login_as("admin")
    user = demo["staff2"]
    before = stored(User, user.pk)
    response, _ = _edit(client, f"/user/edit/?id={user.pk}", {"townships": [str(townships["东江街道"].pk), "zzz"]})
    assert response.status_code == 200 and NOT_A_CHOICE in response.get_data(as_text=True)
    assert stored(User, user.pk) == before


def test_a_bad_person_in_an_embedded_entry_is_a_field_error(demo, login_as):
    """A patrol's encounter names its person through a search inside the embedded form."""
    client = login_as("coordinator")
    with client.application.app_context():
        patrol = Patrol.objects(voided__ne=True).first()
        before = stored(Patrol, patrol.pk)
    response, _ = _edit(client, f"/patrol/edit/?id={patrol.pk}",
                        {"encounters-0-person": "zzz", "encounters-0-description": "桥下老人"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and NOT_A_CHOICE in page and "桥下老人" in page
    with client.application.app_context():
        assert stored(Patrol, patrol.pk) == before


def test_a_bad_reference_in_a_new_record_saves_nothing(app, login_as, townships):
    client = login_as("coordinator")
    data = {"patrol_date": "2026-03-05", "start_time": "19:00", "end_time": "21:00", "township": "true",
            "places": "火车站广场", "staff": str(User.objects(username="shegong").get().pk)}
    response = client.post("/patrol/new/", data={"csrf_token": csrf_token(client, "/patrol/new/"), **data})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and NOT_A_CHOICE in page and "火车站广场" in page
    assert Patrol.objects.count() == 0


def test_an_unknown_risk_factor_is_a_chinese_message_and_changes_nothing(app, login_as, townships):
    child = make_child(townships["东江街道"])
    client = login_as("staff")
    url = f"/childarchive/risk/?id={child.pk}"
    before = stored(ChildArchive, child.pk)
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "factors": "x",
                                      "assessed_on": "2026-03-05", "assessor": "张社工"})
    assert response.status_code == 400
    assert "未知的风险因素：x" in response.get_data(as_text=True)
    assert stored(ChildArchive, child.pk) == before


def test_a_risk_or_capability_assessment_without_its_date_is_a_field_error(app, login_as, townships):
    child = make_child(townships["东江街道"])
    elder = make_elder(townships["东江街道"])
    client = login_as("staff")
    for url, data in ((f"/childarchive/risk/?id={child.pk}", {"assessor": "张社工"}),
                      (f"/elderlyarchive/capability/?id={elder.pk}", {"assessor_one": "张社工", "item_bathing": "1e309"}),
                      (f"/elderlyarchive/capability/?id={elder.pk}", {"assessor_one": "张社工"})):
        response = client.post(url, data={"csrf_token": csrf_token(client, url), **data})
        page = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert any(message in page for message in ("此项为必填", "不是整数", "请检查填写的内容")), url
        assert "张社工" in page
    assert AuditEntry.objects(action="update").count() == 0


def test_a_month_close_for_no_month_is_a_chinese_message(app, login_as):
    client = login_as("coordinator")
    for month in ("zzz", "2026-13", "2026-3", ""):
        response = client.post("/indicators/close/", data={"csrf_token": csrf_token(client, "/indicators/close/"),
                                                           "month": month}, follow_redirects=True)
        assert response.status_code == 200 and "请选择要关账的月份" in response.get_data(as_text=True), month


@pytest.mark.parametrize("contract", ["zzz", "z" * 24, "ffffffffffffffffffffffff", "true", "1e309"])
def test_indicators_for_a_contract_that_is_no_id(app, login_as, contract):
    response = login_as("manager").get(f"/indicators/?contract={contract}")
    assert response.status_code in (200, 404)
    assert response.status_code == 200 or "页面不存在" in response.get_data(as_text=True)


@pytest.mark.own_app
def test_a_domain_error_outside_a_form_is_a_chinese_400_page(app, login_as):
    """The app's own rule of last resort: a refusal no page caught."""
    from models.errors import DomainError

    @app.route("/_refuses")
    def _refuses():
        raise DomainError("该操作不被允许。")

    response = login_as("staff").get("/_refuses")
    assert response.status_code == 400 and "该操作不被允许。" in response.get_data(as_text=True)


HOSTILE_ARGS = ["zzz", "z" * 24, "", "true", "1e309", "-1", "99999999999999999999", "2026-13-45"]
ARG_NAME = re.compile(r"request\.(?:args|values|form)\.get(?:list)?\(\s*\"(\w+)\"")


def _custom_pages(app):
    """Every page of the registry beyond the stock list, form and record pages,
    with the address arguments its code reads."""
    stock = {"index_view", "create_view", "edit_view", "details_view", "delete_view", "action_view",
             "export", "ajax_lookup", "ajax_update", "api_file_view", "void_view", "static"}
    pages = []
    for rule in app.url_map.iter_rules():
        endpoint, _, name = rule.endpoint.rpartition(".")
        if "GET" not in rule.methods or name in stock or endpoint in ("", "static") or rule.endpoint.startswith(
                ("auth.", "api.")):  # the data interface answers a token, not a session: tests/test_api*.py
            continue
        view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
        source = inspect.getsource(getattr(type(view), name))
        for helper in re.findall(r"self\.(_\w+)\(", source):  # arguments read by the page's own helpers
            if hasattr(type(view), helper):
                source += inspect.getsource(getattr(type(view), helper))
        pages.append((rule, sorted(set(ARG_NAME.findall(source)) | {"id"}), getattr(view, "model", None)))
    return pages


def test_no_custom_page_answers_a_bad_address_with_a_server_error(demo, login_as):
    """Every argument a page reads, given a value that is no id, no number or no date, alone and all at once."""
    app = login_as("coordinator").application
    pages = _custom_pages(app)
    with app.app_context():
        # a page about one record is asked with a record of its own kind (made where the demo has none,
        # a volunteer for the certificate), so that it reads its other arguments
        factory = Factory({t.name: t for t in Township.objects})
        record_ids = {model: {"id": str((model.objects.order_by("id").first() or factory.record(model, OWN)).pk)}
                      for _rule, _args, model in pages if model is not None}
        fallback = {"id": str(ChildArchive.objects.first().pk)}
    assert len(pages) > 20
    failures = []
    for role in ("coordinator", "staff", "admin"):
        client = login_as(role)
        for rule, args, model in pages:
            path = re.sub(r"<[^>]+>", "zzz", rule.rule)
            for value in HOSTILE_ARGS:
                own = record_ids.get(model, fallback)
                tries = [dict.fromkeys(args, value)] + [{**own, name: value} for name in args]
                for query in tries:
                    response = client.get(path, query_string=query)
                    # an error page in Chinese (or a file), or a field page's JSON answer with its Chinese reason
                    chinese = b'lang="zh-CN"' in response.get_data() or (
                        response.is_json and CJK.search(str((response.get_json(silent=True) or {}).get("error", ""))))
                    # a page shown is not about the bad value (a certificate "for the year zzz")
                    page = response.get_data().decode("utf-8", "replace") if response.status_code == 200 else ""
                    echoed = value.strip("-") and (f"{value} 年" in page or f"{value}年" in page)
                    if response.status_code >= 500 or (response.status_code >= 400 and not chinese) or echoed:
                        failures.append((role, path, query, response.status_code))
    assert failures == []


# ---------------------------------------------------------------- the database down


def _signed_in(client, user):
    """A browser that logged in earlier: its session names the user (nothing read yet)."""
    with client:
        client.get("/static/favicon.png")
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["_id"] = identifier


def test_database_down_for_a_signed_in_user_is_the_chinese_503_page_at_once(app, accounts):
    """The account is looked up once; the error page needs nothing more from the database."""
    client = app.test_client()
    _signed_in(client, accounts["staff"])
    calls = []

    def unreachable(token):
        calls.append(token)
        raise ServerSelectionTimeoutError("127.0.0.1:27017: [Errno 111] Connection refused")

    with mock.patch.object(login_manager, "_user_callback", unreachable):
        response = client.get("/patrol/")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and "数据库暂时无法连接" in page and "页面无法打开" in page
    assert "Traceback" not in page and "没有保存" not in page
    assert len(calls) == 1


def _cut_off(model, error):
    """The database connection lost when a record of ``model`` is inserted (a
    patch of the driver's collection class: mongoengine writes through copies
    of the collection object made for the write concern)."""
    collection_class = type(model._get_collection())
    real_insert = collection_class.insert_one

    def insert_one(collection, *args, **kwargs):
        if collection.name == model._get_collection_name():
            raise error
        return real_insert(collection, *args, **kwargs)

    return mock.patch.object(collection_class, "insert_one", insert_one)


def test_a_write_cut_off_after_the_record_was_saved_says_it_may_have_been_saved(app, accounts, townships, login_as):
    client = login_as("coordinator")
    child = make_child(townships["东江街道"], actor=accounts["coordinator"])
    url = f"/childarchive/edit/?id={child.pk}"
    page = client.get(url).get_data(as_text=True)
    data = {"csrf_token": CSRF_VALUE.search(page).group(1), **posted(form_fields(page), {"school": "穿山小学"})}
    with _cut_off(AuditEntry, AutoReconnect("connection reset")):  # the record is written before its audit entry
        response = client.post(url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "您的操作可能已保存，请刷新页面核对" in page and "没有保存" not in page
    assert ChildArchive.objects.get(pk=child.pk).school == "穿山小学"  # it was: the message is the honest one


def test_a_write_refused_before_anything_was_sent_says_nothing_was_saved(app, accounts):
    """On a real driver the app sees each command it sends: a post whose first
    database call found no server sent no write."""
    unreachable = make_app(MONGODB_URI="mongodb://127.0.0.1:9/unreachable", DB_TIMEOUT_MS=300)
    try:
        client = unreachable.test_client()
        _signed_in(client, accounts["coordinator"])
        response = client.post("/patrol/new/", data={"places": "火车站广场"})
        page = response.get_data(as_text=True)
    finally:
        make_app(MONGODB_DB=app.config["MONGODB_DB"])  # the test's own database again, for the teardown
    assert response.status_code == 503
    assert "您的操作没有保存" in page and "可能已保存" not in page


def test_a_write_cut_off_before_it_was_sent_is_answered_as_the_backend_allows(app, accounts, townships, login_as):
    """mongomock sends no commands to watch: the app cannot know, so it does not claim nothing
    was saved. A real server's commands are watched: no write was sent, and the page says so."""
    client = login_as("coordinator")
    url = "/patrol/new/"
    data = {"csrf_token": csrf_token(client, url), "patrol_date": "2026-03-05", "start_time": "19:00",
            "end_time": "21:00", "township": str(townships["东江街道"].pk), "places": "火车站广场",
            "staff": str(accounts["staff"].pk)}
    with _cut_off(Patrol, ServerSelectionTimeoutError("no server")):
        response = client.post(url, data=data)
    expected = "您的操作没有保存" if on_ferretdb() else "可能已保存"
    assert response.status_code == 503 and expected in response.get_data(as_text=True)
    assert Patrol.objects.count() == 0  # the driver refused the patrol itself


def _down_during_import(model, error, written: bool, stays_down: bool):
    """The connection lost while an import writes records of ``model``: after the
    server took the batch (``written``) or before it was sent; if it ``stays_down``,
    taking the batch out again fails too, else that works (a connection reset once)."""
    collection_class = type(model._get_collection())
    real_insert = collection_class.insert_many
    name = model._get_collection_name()

    def insert_many(collection, *args, **kwargs):
        if collection.name == name:
            if written:
                real_insert(collection, *args, **kwargs)
            raise error
        return real_insert(collection, *args, **kwargs)

    def down_for(real):  # every way of taking records out again: down as well, while it stays down
        def delete(collection, *args, **kwargs):
            if collection.name == name and stays_down:
                raise error
            return real(collection, *args, **kwargs)
        return delete

    return mock.patch.multiple(collection_class, insert_many=insert_many,
                               delete_many=down_for(collection_class.delete_many),
                               delete_one=down_for(collection_class.delete_one))


@pytest.mark.parametrize("stays_down", [True, False], ids=["stays-down", "back-at-once"])
@pytest.mark.parametrize("written", [True, False], ids=["after-the-write", "before-the-write"])
@pytest.mark.parametrize("error", [AutoReconnect("connection reset"), NetworkTimeout("timed out"),
                                   ServerSelectionTimeoutError("no server")], ids=lambda e: type(e).__name__)
def test_an_import_confirmed_as_the_database_goes_down_is_answered_honestly(app, login_as, error, written,
                                                                           stays_down):
    """Never 重复 (the rows are not on file twice); 可能已保存 unless the app saw that nothing was sent."""
    from models.archive_import import ImportBatch

    from .test_import import confirm, good_row, upload, workbook_bytes

    client = login_as("staff")
    upload(client, workbook_bytes([good_row(i) for i in range(1, 4)]))
    batch = ImportBatch.objects.first()
    with _down_during_import(ChildArchive, error, written, stays_down):
        response = confirm(client, batch)
    page = response.get_data(as_text=True)
    if response.status_code == 302:
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "重复" not in page and "已登记" not in page, page[-1500:]
    assert response.status_code == 503, response.status_code
    saved = ChildArchive.objects.count()
    # the app cannot know: a write went out (the batch, or taking it out again), or mongomock shows none
    if written or not stays_down or not on_ferretdb():
        assert "您的操作可能已保存，请刷新页面核对" in page
    else:
        assert "您的操作没有保存" in page and saved == 0
    assert saved == (3 if written and stays_down else 0)  # all or nothing
