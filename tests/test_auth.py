import datetime
import re

from models.audit import AuditEntry
from models.users import User

from .conftest import PASSWORD, csrf_token, login


def test_login_page_is_chinese(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "用户登录" in page and "用户名" in page and "密码" in page


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_is_refused_and_audited(app, client, accounts):
    response = login(client, "shegong", "wrong-password1")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    with app.app_context():
        entry = AuditEntry.objects(action="login_failed").first()
        assert entry.actor_name == "shegong"
    assert client.get("/").status_code == 302


def test_login_and_logout_are_audited(app, client, accounts):
    response = login(client, "shegong")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.get("/logout")
    assert client.get("/").status_code == 302
    with app.app_context():
        actions = [e.action for e in AuditEntry.objects(actor_name="shegong")]
    assert "login" in actions and "logout" in actions


def test_session_cookie_is_httponly_and_samesite(client, accounts):
    response = login(client, "shegong")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("mz_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_five_failures_lock_the_account(app, client, accounts):
    for _ in range(5):
        login(client, "shegong", "wrong-password1")
    response = login(client, "shegong", PASSWORD)
    assert response.status_code == 401
    assert "锁定" in response.get_data(as_text=True)
    with app.app_context():
        assert User.objects(username="shegong").first().is_locked()


def _login_answer(client, username: str, password: str) -> tuple[int, str]:
    response = login(client, username, password)
    message = re.search(r'id="login-error">([^<]*)<', response.get_data(as_text=True))
    return response.status_code, message.group(1) if message else ""


def test_lockout_answers_the_same_for_a_name_without_an_account(app, client, accounts):
    """Failing again and again under an existing and an unknown name gives the same
    answers, attempt by attempt; the real account is locked all the same."""
    existing = [_login_answer(client, "shegong", "wrong-password1") for _ in range(7)]
    unknown = [_login_answer(client, "nobody-here", "wrong-password1") for _ in range(7)]
    assert existing == unknown
    assert existing[0] == (401, "用户名或密码错误。")
    assert "锁定" in existing[4][1] and "锁定" in existing[6][1]
    assert "锁定" in _login_answer(client, "shegong", PASSWORD)[1]
    assert client.get("/").status_code == 302
    with app.app_context():
        assert User.objects(username="shegong").first().is_locked()


def test_missing_or_forged_csrf_token_logs_nobody_in(client, accounts):
    client.get("/login")
    response = client.post("/login", data={"username": "shegong", "password": PASSWORD})
    assert "页面已过期或安全校验失败" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    response = client.post("/login", data={"csrf_token": "20990101000000##bad", "username": "shegong",
                                           "password": PASSWORD})
    assert "页面已过期或安全校验失败" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_csrf_token_lasts_a_long_case_note_then_expires(client, accounts, monkeypatch):
    from views.forms import ChineseSessionCSRF

    token = csrf_token(client, "/login")
    later = datetime.datetime.now() + datetime.timedelta(hours=11)
    monkeypatch.setattr(ChineseSessionCSRF, "now", lambda self: later)
    response = client.post("/login", data={"csrf_token": token, "username": "shegong", "password": PASSWORD})
    assert response.status_code == 302  # eleven hours on one form still saves
    client.get("/logout")
    monkeypatch.undo()

    token = csrf_token(client, "/login")
    much_later = datetime.datetime.now() + datetime.timedelta(hours=13)
    monkeypatch.setattr(ChineseSessionCSRF, "now", lambda self: much_later)
    response = client.post("/login", data={"csrf_token": token, "username": "shegong", "password": PASSWORD})
    assert "页面已过期或安全校验失败" in response.get_data(as_text=True)
    assert "shegong" in response.get_data(as_text=True)  # the typed user name stays in the form


def test_deactivated_account_cannot_log_in(app, client, accounts):
    with app.app_context():
        User.objects(username="shegong").update(set__active=False)
    response = login(client, "shegong")
    assert "已停用" in response.get_data(as_text=True)


def test_change_own_password(client, accounts):
    login(client, "shegong")
    token = csrf_token(client, "/account/password")
    weak = client.post("/account/password", data={"csrf_token": token, "current": PASSWORD,
                                                   "new_password": "abc", "confirm": "abc"})
    assert "密码至少 8 位" in weak.get_data(as_text=True)
    token = csrf_token(client, "/account/password")
    done = client.post("/account/password", data={"csrf_token": token, "current": PASSWORD,
                                                  "new_password": "newpass99", "confirm": "newpass99"})
    assert done.status_code == 302
    client.get("/logout")
    assert login(client, "shegong", "newpass99").status_code == 302
