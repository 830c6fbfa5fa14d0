import pytest

from .conftest import submit


@pytest.mark.parametrize("url", ["/user/", "/user/new/", "/audit/", "/township/new/"])
def test_staff_cannot_open_admin_pages(login_as, url):
    client = login_as("staff")
    assert client.get(url).status_code == 403


def test_staff_sees_a_chinese_forbidden_page(login_as):
    page = login_as("staff").get("/user/").get_data(as_text=True)
    assert "没有权限" in page


def test_manager_reads_but_cannot_write(login_as, townships):
    client = login_as("manager")
    assert client.get("/attachment/").status_code == 200
    assert client.get("/township/").status_code == 200
    assert client.get("/attachment/new/").status_code == 403
    page = client.get("/attachment/").get_data(as_text=True)
    assert "/attachment/new/" not in page
    response = client.post("/attachment/new/", data={"title": "x", "kind": "scan",
                                                     "township": str(townships["东江街道"].pk)})
    assert response.status_code == 403
    from models.attachments import Attachment

    assert Attachment.objects.count() == 0


def test_coordinator_reads_audit_but_not_accounts(login_as):
    client = login_as("coordinator")
    assert client.get("/audit/").status_code == 200
    assert client.get("/user/").status_code == 403


def test_admin_manages_reference_data(login_as, app):
    client = login_as("admin")
    response = submit(client, "/township/new/", {"code": "450305100", "name": "测试镇", "kind": "镇",
                                                 "sort_order": "9"})
    assert response.status_code == 302
    from models.reference import Township

    assert Township.objects(code="450305100").count() == 1


def test_each_role_lands_on_its_own_start_page(login_as):
    for role, heading in [("staff", "社工工作台"), ("coordinator", "项目主管工作台"),
                          ("manager", "管理者工作台"), ("admin", "系统管理员工作台")]:
        page = login_as(role).get("/").get_data(as_text=True)
        assert heading in page, role
    staff_page = login_as("staff").get("/").get_data(as_text=True)
    assert "东江街道" in staff_page
