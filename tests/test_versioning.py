from models.audit import AuditEntry
from models.reference import Township

from .conftest import submit


def test_stale_save_is_refused_and_keeps_the_input(app, login_as, townships):
    client = login_as("admin")
    township = townships["朝阳乡"]
    url = f"/township/edit/?id={township.pk}"
    # Somebody else saves first (version 1 -> 2).
    first = submit(client, url, {"code": township.code, "name": "朝阳乡", "kind": "乡", "sort_order": "5",
                                 "note": "第一位同事的修改", "record_version": "1"})
    assert first.status_code == 302
    # The second person still holds version 1.
    response = submit(client, url, {"code": township.code, "name": "朝阳乡", "kind": "乡", "sort_order": "5",
                                    "note": "我写了很长的一段说明", "record_version": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "该记录已被他人修改" in page
    assert "我写了很长的一段说明" in page
    stored = Township.objects(pk=township.pk).first()
    assert stored.note == "第一位同事的修改" and stored.version == 2
    assert AuditEntry.objects(record_id=str(township.pk), action="update").count() == 1


def test_duplicate_code_is_refused_in_chinese(app, login_as):
    client = login_as("admin")
    response = submit(client, "/township/new/", {"code": "450305002", "name": "重复", "kind": "街道",
                                                 "sort_order": "1"})
    assert "区划代码 450305002 已存在" in response.get_data(as_text=True)
    assert Township.objects(code="450305002").count() == 1


def test_bad_input_gets_a_chinese_message_next_to_the_field(app, login_as):
    client = login_as("admin")
    response = submit(client, "/township/new/", {"code": "12", "name": "格式错", "kind": "镇", "sort_order": "1"})
    page = response.get_data(as_text=True)
    assert "区划代码" in page and "格式不正确" in page
    assert 'value="格式错"' in page
    assert Township.objects(name="格式错").count() == 0


def test_an_edit_onto_a_taken_unique_value_is_refused_in_chinese(app, login_as, townships):
    """An update that breaks a unique index is a duplicate on every backend (the local database
    answered it as an internal error, a 500)."""
    client = login_as("admin")
    township = townships["朝阳乡"]
    taken = townships["东江街道"].code
    response = submit(client, f"/township/edit/?id={township.pk}", {
        "code": taken, "name": "朝阳乡", "kind": "乡", "sort_order": "5", "note": "改成已有的代码",
        "record_version": str(township.version)})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and f"区划代码 {taken} 已存在" in page and "改成已有的代码" in page
    assert Township.objects(pk=township.pk).first().code == township.code
    assert AuditEntry.objects(record_id=str(township.pk), action="update").count() == 0
