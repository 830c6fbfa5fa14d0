"""Fixtures: an app on mongomock (default) or on the database given by
TEST_MONGODB_URI (the FerretDB lane), a fresh database per test, one account
per role, and helpers to log in and submit forms with their CSRF token."""

import os
import re
import uuid

import pytest

from admin_app import create_app
from admin_app.accounts import create_user
from models.reference import Township
from seeds.loader import load_reference_data

TEST_URI = os.environ.get("TEST_MONGODB_URI") or None
PASSWORD = "test1234"
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


@pytest.fixture
def app():
    application = make_app()
    with application.app_context():
        load_reference_data()
    yield application
    if on_ferretdb():
        from mongoengine.connection import get_connection

        get_connection().drop_database(application.config["MONGODB_DB"])


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
