import re

import pytest

from admin_app.accounts import create_user
from models.audit import AuditEntry
from models.reference import Township
from seeds.loader import load_reference_data

from .conftest import PASSWORD, csrf_token, make_app, submit


def test_create_update_and_void_are_in_the_audit_trail(app, login_as):
    client = login_as("admin")
    submit(client, "/township/new/", {"code": "450305101", "name": "审计镇", "kind": "镇", "sort_order": "7"})
    township = Township.objects(code="450305101").first()
    url = f"/township/edit/?id={township.pk}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="record_version"' in page
    submit(client, url, {"code": "450305101", "name": "审计镇（改）", "kind": "镇", "sort_order": "7",
                         "record_version": "1"})
    submit(client, f"/township/void/?ids={township.pk}", {"ids": str(township.pk), "reason": "录入错误"})

    entries = list(AuditEntry.objects(record_id=str(township.pk)).order_by("at", "id"))
    assert [e.action for e in entries] == ["create", "update", "void"]
    assert entries[0].actor_name == "admin1"
    change = next(c for c in entries[1].changes if c.field == "name")
    assert (change.label, change.old, change.new) == ("名称", "审计镇", "审计镇（改）")
    assert entries[2].detail == "录入错误"


def test_audit_page_filters_by_record_and_cannot_be_edited(app, login_as, townships):
    client = login_as("admin")
    township = townships["东江街道"]
    page = client.get(f"/audit/?flt0_record_id_equals={township.pk}").get_data(as_text=True)
    labels = re.findall(r'<td class="col-record_label"[^>]*>\s*<a href="([^"]*)">([^<]*?)</a>\s*</td>', page)
    assert labels == [(f"/township/details/?id={township.pk}", "东江街道")]  # the record's name opens it
    assert "/audit/new/" not in page and "/audit/edit/" not in page
    assert client.get("/audit/new/").status_code == 403
    entry = AuditEntry.objects.first()
    client.post(f"/audit/edit/?id={entry.pk}", data={"csrf_token": csrf_token(client, "/account/password"),
                                                      "actor_name": "hacker"})
    assert AuditEntry.objects(pk=entry.pk).first().actor_name != "hacker"
    assert client.post("/audit/delete/", data={"id": str(entry.pk)}).status_code in (302, 404, 405)
    assert AuditEntry.objects(pk=entry.pk).count() == 1


def test_exports_are_audited(app, login_as):
    login_as("coordinator").get("/township/export/csv/")
    assert AuditEntry.objects(action="export", actor_name="zhuguan").count() == 1


def test_password_changes_are_audited_without_the_secret(app, login_as, accounts):
    client = login_as("admin")
    staff = accounts["staff"]
    url = f"/user/edit/?id={staff.pk}"
    submit(client, url, {"username": "shegong", "display_name": "张社工", "role": "staff",
                         "townships": [str(t.pk) for t in staff.townships], "active": "y",
                         "new_password": "reset12345", "record_version": str(staff.version)})
    entry = AuditEntry.objects(record_id=str(staff.pk), action="update").first()
    assert entry is not None
    assert "reset12345" not in str(entry.to_mongo())


def test_bulk_create_audits_each_record_and_saves_nothing_when_refused(app, townships):
    from models.audit import AuditEntry
    from models.errors import DuplicateRecordError
    from models.reference import Community
    from models.services import create_records

    home = townships["东江街道"]
    before = Community.objects.count()
    made = create_records([Community(township=home, code=f"45030500290{i}", name=f"新社区{i}", kind="社区")
                           for i in range(3)], None)
    assert made == 3 and Community.objects.count() == before + 3
    labels = [f"新社区{i}" for i in range(3)]
    assert AuditEntry.objects(collection="communities", action="create", record_label__in=labels).count() == 3
    clash = [Community(township=home, code="450305002999", name="甲", kind="社区"),
             Community(township=home, code="450305002999", name="乙", kind="社区")]
    with pytest.raises(DuplicateRecordError):
        create_records(clash, None)
    assert Community.objects(code="450305002999").count() == 0


def test_entries_of_one_second_are_listed_newest_first_and_pages_neither_repeat_nor_skip(app, login_as):
    import datetime as dt

    client = login_as("admin")
    same_second = dt.datetime(2099, 1, 1, 9, 30, 0)  # after the login's entry: these 45 lead the trail
    for number in range(45):
        AuditEntry(at=same_second, action="export", actor_name="admin1",
                   detail=f"同一秒导出{number:02d}").save()
    row = re.compile(r'<td class="col-detail"[^>]*>\s*同一秒导出(\d\d)\s*</td>')
    first = row.findall(client.get("/audit/?page_size=20").get_data(as_text=True))
    second = row.findall(client.get("/audit/?page_size=20&page=1").get_data(as_text=True))
    third = row.findall(client.get("/audit/?page_size=20&page=2").get_data(as_text=True))
    # the trail keeps whole seconds: the tie is broken by the order of writing, newest first
    assert first == [f"{n:02d}" for n in range(44, 24, -1)]
    assert first + second + third == [f"{n:02d}" for n in range(44, -1, -1)]


def _login_from(client, address: str, forwarded_for: str):
    """Log in as shegong from ``address``, the request claiming to be forwarded for another."""
    client.get("/login")
    return client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "username": "shegong",
                                       "password": PASSWORD},
                       headers={"X-Forwarded-For": forwarded_for}, environ_base={"REMOTE_ADDR": address})


def test_a_forwarded_for_header_is_ignored_without_a_trusted_proxy(app, client, accounts):
    response = _login_from(client, "192.0.2.7", "10.9.9.9")
    assert response.status_code == 302
    assert AuditEntry.objects(action="login").first().remote_addr == "192.0.2.7"


def test_a_trusted_proxy_gives_the_address_it_saw():
    application = make_app(TRUSTED_PROXIES=1)
    with application.app_context():
        load_reference_data()
        create_user("shegong", "staff", "张社工", PASSWORD)
        # the proxy appends the address it saw to whatever the client sent
        response = _login_from(application.test_client(), "127.0.0.1", "10.9.9.9, 198.51.100.4")
        assert response.status_code == 302
        assert AuditEntry.objects(action="login").first().remote_addr == "198.51.100.4"


def test_a_thumbnail_shown_is_no_download_and_downloads_stay_off_the_start_page(app, login_as, townships, accounts):
    """A list of visits shows thumbnails: opening them writes nothing; opening the picture
    itself is a 下载文件 entry, kept in the trail but not in the start page's recent activity."""
    import datetime as dt

    from models.services import create_record
    from models.visits import Visit, add_photo

    from .archive_helpers import make_child
    from .helpers import png_bytes

    child = make_child(townships["东江街道"], name="李小禾", sequence=31)
    visit = Visit(people=[child], visited_at=dt.datetime(2026, 3, 5, 10), mode="home", contact="made",
                  township=child.township)
    add_photo(visit, png_bytes(size=(120, 90)), "入户.png", 5 * 1024 * 1024)
    create_record(visit, accounts["staff"])
    client = login_as("staff")
    photo = visit.photos[0]
    for _ in range(5):
        assert client.get(f"/visit/api/file/?id={photo.thumbnail.grid_id}").status_code == 200
    assert AuditEntry.objects(action="download").count() == 0
    assert client.get(f"/visit/api/file/?id={photo.file.grid_id}").status_code == 200
    assert AuditEntry.objects(action="download", detail="入户.png").count() == 1
    home = client.get("/").get_data(as_text=True)
    recent = home[home.index("最近操作"):]
    assert "下载文件" not in recent and "张社工" in recent and "shegong" not in recent
