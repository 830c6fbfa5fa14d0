import re

from admin_app.accounts import ensure_first_admin
from models.users import User

from .conftest import login, make_app, on_ferretdb, submit


def test_admin_creates_a_user_who_can_then_log_in(app, client, login_as, townships):
    admin = login_as("admin")
    response = submit(admin, "/user/new/", {"username": "xinren", "display_name": "新同事", "role": "staff",
                                            "townships": [str(townships["朝阳乡"].pk)], "active": "y"},
                      follow_redirects=True)
    page = response.get_data(as_text=True)
    match = re.search(r"初始密码：(\S+?)（只显示这一次", page)
    assert match, page[:2000]
    admin.get("/logout")
    assert login(client, "xinren", match.group(1)).status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "朝阳乡" in home


def test_weak_password_is_refused_and_input_kept(app, login_as):
    admin = login_as("admin")
    response = submit(admin, "/user/new/", {"username": "ruomima", "display_name": "弱密码", "role": "staff",
                                            "active": "y", "new_password": "12345678"})
    page = response.get_data(as_text=True)
    assert "密码需同时包含字母和数字" in page and 'value="弱密码"' in page
    assert User.objects(username="ruomima").count() == 0


def test_admin_cannot_demote_themself(app, login_as, accounts):
    admin = login_as("admin")
    me = accounts["admin"]
    response = submit(admin, f"/user/edit/?id={me.pk}", {"username": "admin1", "display_name": "王管理",
                                                          "role": "staff", "active": "y",
                                                          "record_version": str(me.version)})
    assert "不能停用自己的账户" in response.get_data(as_text=True)
    assert User.objects(pk=me.pk).first().role == "admin"


def test_editing_an_account_ends_its_sessions(app, client, login_as, accounts):
    staff_client = app.test_client()
    login(staff_client, "shegong")
    assert staff_client.get("/").status_code == 200
    admin = login_as("admin")
    staff = accounts["staff"]
    submit(admin, f"/user/edit/?id={staff.pk}", {"username": "shegong", "display_name": "张社工", "role": "staff",
                                                  "townships": [str(t.pk) for t in staff.townships],
                                                  "record_version": str(staff.version)})
    assert User.objects(pk=staff.pk).first().active is False
    assert staff_client.get("/").status_code == 302


def test_first_admin_is_created_once(app):
    assert User.objects(role="admin").count() == 0
    password = ensure_first_admin()
    assert password and User.objects(username="admin", role="admin").count() == 1
    assert ensure_first_admin() is None


def test_cli_creates_a_user(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "cliuser", "--role", "coordinator", "--name", "命令行"])
    assert result.exit_code == 0 and "已创建账户 cliuser" in result.output
    assert User.objects(username="cliuser").first().role == "coordinator"
    result = runner.invoke(args=["create-user", "cliuser", "--role", "staff", "--name", "重复"])
    assert result.exit_code != 0 and "用户名 cliuser 已存在" in result.output


def test_accounts_survive_a_restart(app):
    """On a real database, a new app process finds the user made by the old one."""
    runner = app.test_cli_runner()
    runner.invoke(args=["create-user", "persist", "--role", "staff", "--name", "持久"])
    restarted = make_app(MONGODB_DB=app.config["MONGODB_DB"])
    with restarted.app_context():
        found = User.objects(username="persist").count()
    assert found == (1 if on_ferretdb() else 0)  # mongomock keeps nothing across a reconnect
