"""Fixtures: an app on mongomock (default) or on the database given by
TEST_MONGODB_URI (the FerretDB lane), built once per test run, with a fresh
database per test (emptied, then the reference data put back from a copy taken
once); the test run's today (``TEST_TODAY``, the ``today`` fixture to choose
another); one account per role; and helpers to log in and submit forms with
their CSRF token. A test that needs its own settings calls ``make_app``."""

import datetime as dt
import os
import re
import uuid

import pytest
from pymongo import monitoring

from admin_app import activate, create_app, is_active
from admin_app.accounts import create_user
from models import clock
from models.reference import Township
from models.rules import forget_cached_rules
from seeds.loader import load_reference_data

from .write_filters import ScanningWrites, WrittenCollections

TEST_URI = os.environ.get("TEST_MONGODB_URI") or None
PASSWORD = "test1234"
SCANNING_WRITES = ScanningWrites()
WRITTEN = WrittenCollections()
if TEST_URI:  # before any client is made: the listeners see every write of the run
    monitoring.register(SCANNING_WRITES)
    monitoring.register(WRITTEN)
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def on_ferretdb() -> bool:
    return TEST_URI is not None


def make_app(**overrides):
    settings = {
        "APP_MODE": "test",
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "MONGODB_URI": TEST_URI,
        "MONGODB_DB": f"t_{uuid.uuid4().hex[:12]}",
        "DB_TIMEOUT_MS": 5000,
    }
    settings.update(overrides)
    return create_app(settings)


#: The test run's today: inside the contract year (seeds/contract.json, 2026), so that
#: "this month", "this week" and "this year" are the contract's whatever the real date.
TEST_TODAY = dt.date(2026, 12, 1)


def pytest_sessionstart(session):
    # the build step the app expects (``make catalogs``), for a run started without make
    from views.i18n import compile_catalogs

    compile_catalogs()


@pytest.fixture(scope="session", autouse=True)
def _test_clock():
    """Every test runs on TEST_TODAY, from 10:00 on, the clock moving forward (never back)."""
    frozen = clock.freeze(TEST_TODAY, ticking=True)
    yield
    frozen.restore()


@pytest.fixture(autouse=True)
def _writes_answered_from_an_index():
    """On the FerretDB lane: no write of the test may make the local database scan a
    collection (tests/write_filters.py)."""
    SCANNING_WRITES.take()  # what the app's start-up or an earlier test's teardown wrote
    yield
    found = SCANNING_WRITES.take()
    assert not found, "写入的条件使本地数据库读遍整个集合（应按 _id 或顶层等值逐条写）：\n" + "\n".join(found[:10])


class Today:
    """The test's today: ``today.date``; ``today.set(day)`` moves the app's clock to
    that day (10:00, or the datetime given) for the rest of the test."""

    def __init__(self):
        self._first = None

    @property
    def date(self) -> dt.date:
        return clock.local_today()

    def set(self, moment: dt.date | dt.datetime, ticking: bool = True) -> dt.date:
        frozen = clock.freeze(moment, ticking=ticking)
        self._first = self._first or frozen
        return self.date

    def restore(self) -> None:
        if self._first is not None:
            self._first.restore()


@pytest.fixture
def today():
    chosen = Today()
    yield chosen
    chosen.restore()


def _collections(db) -> list[str]:
    return [name for name in db.list_collection_names() if not name.startswith("system.")]


@pytest.fixture(scope="session")
def _session_app():
    """The app, built once; its database with the reference data, and a copy of it."""
    from mongoengine.connection import get_db

    application = make_app()
    with application.app_context():
        load_reference_data()
        db = get_db()
        reference = {name: list(db[name].find()) for name in _collections(db)}
    yield application, reference
    if on_ferretdb():
        from mongoengine.connection import get_connection

        activate(application)
        get_connection().drop_database(application.config["MONGODB_DB"])


@pytest.fixture
def app(request, _session_app):
    """The test run's app on a fresh database: every collection emptied (their indexes
    stay), the reference data inserted again; its settings as they were before the test.
    A test marked ``own_app`` (it adds a route, say) gets an app of its own."""
    from mongoengine.connection import get_db

    if request.node.get_closest_marker("own_app"):
        application = make_app()
        with application.app_context():
            load_reference_data()
        yield application
        if on_ferretdb():
            get_db().client.drop_database(application.config["MONGODB_DB"])
        return
    application, reference = _session_app
    if not is_active(application):  # a test before made an app of its own
        activate(application)
    config = dict(application.config)
    db = get_db()
    # On the local database only the collections written since the last test are put back
    # (each emptying and insert is a command there; a test writes a few of some sixty).
    written = WRITTEN.take(db.name) if TEST_URI else None
    for name in sorted(set(_collections(db)) | set(reference)):
        if written is None or name in written:
            db[name].delete_many({})
            if reference.get(name):
                db[name].insert_many([dict(d) for d in reference[name]])
    if written is not None:
        WRITTEN.take(db.name)  # the putting back itself
    forget_cached_rules()
    yield application
    application.config.clear()
    application.config.update(config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def townships(app):
    with app.app_context():
        return {t.name: t for t in Township.objects}


@pytest.fixture
def accounts(app, townships):
    """One account per role; 'staff' is limited to 东江街道, 'staff2' to 穿山街道."""
    with app.app_context():
        made = {
            "admin": create_user("admin1", "admin", "王管理", PASSWORD)[0],
            "coordinator": create_user("zhuguan", "coordinator", "李主管", PASSWORD)[0],
            "manager": create_user("guanli", "manager", "赵局长", PASSWORD)[0],
            "staff": create_user("shegong", "staff", "张社工", PASSWORD, townships=[townships["东江街道"]])[0],
            "staff2": create_user("shegong2", "staff", "陈社工", PASSWORD, townships=[townships["穿山街道"]])[0],
        }
    return made


_DEMO_WORLDS: dict = {}


def demo_data(accounts: dict, size: int, seed: int) -> None:
    """``seeds.demo.generate_demo_data(size, seed)`` in the test's database (inside the app
    context), generated once per run and afterwards put back from a copy: generating it
    writes a record at a time, five seconds on the local database, and many parametrised
    tests ask for the same demo. The copy holds the whole database as it was then, the
    accounts included; ``accounts`` is pointed at the copy's accounts (same names, same
    password), so a test sees what it would have seen had the data been generated for it."""
    from mongoengine.connection import get_db

    from models.users import User
    from seeds.demo import generate_demo_data

    db = get_db()
    key = (size, seed, tuple(sorted((role, user.username) for role, user in accounts.items())))
    if key not in _DEMO_WORLDS:
        generate_demo_data(size, seed)
        _DEMO_WORLDS[key] = {name: list(db[name].find()) for name in _collections(db)}
        return
    for name in _collections(db):
        db[name].delete_many({})
    for name, documents in _DEMO_WORLDS[key].items():
        if documents:
            db[name].insert_many([dict(d) for d in documents])
    forget_cached_rules()
    for role, user in list(accounts.items()):
        accounts[role] = User.objects(username=user.username).get()


def csrf_token(client, url: str) -> str:
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password})


@pytest.fixture
def login_as(client, accounts):
    def _login(role: str):
        client.get("/logout")
        response = login(client, accounts[role].username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return _login


def submit(client, form_url: str, data: dict, post_url: str | None = None, **kwargs):
    """Open a form page, take its CSRF token, and post ``data``."""
    payload = {"csrf_token": csrf_token(client, form_url), **data}
    return client.post(post_url or form_url, data=payload, **kwargs)
