"""Uploads are judged by their content, whatever their name says; a refused file
gets a Chinese message next to its field and the rest of the form stays filled;
names lose any folder; huge pictures are refused before they are decoded; files
are served inline only when they are pictures."""

import datetime as dt
import io
import struct
import zlib

import pytest
from flask_admin.contrib.mongoengine import ModelView
from hypothesis import given
from hypothesis import strategies as st

from models.attachments import Attachment
from models.clock import local_today
from models.errors import DomainError
from models.files import DOCUMENT_SIGNATURES, base_name, check_upload, set_max_image_pixels
from models.users import allowed

from .archive_helpers import make_child, make_elder
from .conftest import submit
from .helpers import form_fields, make_attachment, png_bytes

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
MB = 1024 * 1024
KEPT = "保留的输入"


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels in a few bytes (a decompression bomb's shape)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


GOOD_DOCUMENTS = {".pdf": b"%PDF-1.7\n%...", ".docx": b"PK\x03\x04" + b"\x00" * 30, ".xlsx": b"PK\x03\x04" + b"\x00" * 30,
                  ".doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 30,
                  ".xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 30}


@pytest.mark.parametrize("extension", sorted(DOCUMENT_SIGNATURES))
def test_each_document_kind_is_accepted_by_its_content_and_html_under_its_name_is_not(extension):
    assert check_upload(GOOD_DOCUMENTS[extension], f"材料{extension}", MB, False, "f")
    with pytest.raises(DomainError, match="文件内容与类型不符") as refused:
        check_upload(HTML, f"evil{extension}", MB, False, "f")
    assert refused.value.field == "f"


@given(st.binary(min_size=1, max_size=64), st.sampled_from(sorted(DOCUMENT_SIGNATURES)))
def test_a_document_must_begin_as_its_kind_does(data, extension):
    signature = DOCUMENT_SIGNATURES[extension]
    try:
        check_upload(data, "x" + extension, MB, False, "f")
    except DomainError:
        assert not data.startswith(signature)
    else:
        assert data.startswith(signature)


def test_a_document_kind_under_another_name_is_refused():
    with pytest.raises(DomainError, match="文件内容与类型不符"):
        check_upload(GOOD_DOCUMENTS[".docx"], "伪装.pdf", MB, False, "f")
    with pytest.raises(DomainError, match="照片必须是图片"):
        check_upload(GOOD_DOCUMENTS[".pdf"], "照片.png", MB, True, "f")
    assert check_upload(png_bytes(), "名为文档的图片.pdf", MB, False, "f") == "image/png"


@pytest.mark.parametrize(("sent", "kept"), [("../../x.png", "x.png"), ("..\\..\\x.png", "x.png"),
                                            ("C:\\Users\\社工\\照片.jpg", "照片.jpg"), ("/etc/passwd", "passwd"),
                                            ("..", "未命名"), ("", "未命名"), ("a\x00b\n.pdf", "ab.pdf")])
def test_only_the_base_name_of_an_upload_is_kept(sent, kept):
    assert base_name(sent) == kept


@given(st.text(max_size=40))
def test_a_kept_name_never_holds_a_folder(name):
    kept = base_name(name)
    assert "/" not in kept and "\\" not in kept and kept.strip(".") and kept.isprintable()


def test_a_picture_over_the_pixel_limit_is_refused_before_it_is_decoded():
    with pytest.raises(DomainError, match=r"图片尺寸过大（超过 4000 万像素），请缩小后再上传"):
        check_upload(png_header(30000, 30000), "bomb.png", MB, True, "photo_upload")
    with pytest.raises(DomainError, match="超过 4000 万像素"):
        check_upload(png_header(10000, 10000), "big.png", MB, False, "f")
    try:
        set_max_image_pixels(1200)
        assert check_upload(png_bytes(size=(40, 30)), "ok.png", MB, True, "f") == "image/png"
        with pytest.raises(DomainError, match="超过 0 万像素"):
            check_upload(png_bytes(size=(41, 30)), "big.png", MB, True, "f")
    finally:
        set_max_image_pixels(40_000_000)


def test_the_pixel_limit_is_a_setting(app):
    from admin_app.config import ConfigError, load_settings

    assert load_settings(environ={"APP_MODE": "test"})["MAX_IMAGE_PIXELS"] == 40_000_000
    assert load_settings(environ={"APP_MODE": "test", "MAX_IMAGE_MEGAPIXELS": "12"})["MAX_IMAGE_PIXELS"] == 12_000_000
    with pytest.raises(ConfigError, match="MAX_IMAGE_MEGAPIXELS"):
        load_settings(environ={"APP_MODE": "test", "MAX_IMAGE_MEGAPIXELS": "0"})


# ---------------------------------------------------------------- every upload field of every view


def _creator(view) -> str | None:
    return next((role for role in ("coordinator", "staff", "admin") if allowed(role, view.area, "create")), None)


def _fill(client, fields: dict) -> tuple[dict, str | None]:
    """Form data that passes the form's own checks: what the page filled in, and for a
    required field left empty a first choice, a record found by its lookup, today or
    some text. Also the name of a free-text field given a value to look for later."""
    data, kept_in = {}, None
    for name, field in fields.items():
        kind, required = field["kind"], "required" in field
        if kind in ("file", "submit") or name == "csrf_token":
            continue
        if kind == "checkbox":
            if "checked" in field:
                data[name] = field.get("value") or "y"
            continue
        value = field.get("value", "")
        if kind == "select":
            options = [o for o in field["options"] if o]
            value = field["value"] or ([options[0]] if options and required else [])
            data[name] = value if "multiple" in field else (value[0] if value else "")
            continue
        if not value and field.get("data-role") == "select2-ajax" and "data-allow-blank" not in field:
            found = client.get(field["data-url"] + "&query=").get_json() or []
            value = ",".join(str(found[0][0]) for _ in [0] if found)
        elif not value and field.get("data-role") in ("datepicker", "datetimepicker") and required:
            value = local_today().isoformat()
        elif not value and "inputmode" in field:
            value = "100.00"  # an amount in yuan
        elif not value and required:
            value = "3" if kind == "number" else "19:00" if name.endswith("_time") else "测试"
        elif not value and kept_in is None and kind in ("text", "textarea") and not field.get("data-role") \
                and "inputmode" not in field and "regex" not in name:
            value, kept_in = KEPT, name
        data[name] = value
    return data, kept_in


def _cases(app):
    admin = app.extensions["admin"][0]
    return [view for view in admin._views if isinstance(view, ModelView) and view.creatable and _creator(view)]


@pytest.fixture
def people(app, townships, accounts):
    home = townships["东江街道"]
    make_child(home, name="上传测试儿童")
    make_elder(home, name="上传测试老人")
    return home


def test_every_upload_field_refuses_html_named_as_a_document_and_keeps_the_form(app, login_as, people):
    """For each view of the registry whose form takes a file: HTML bytes sent as
    ``evil.pdf`` (``evil.png`` where only pictures are taken) are refused with a
    Chinese message next to that field, nothing is saved and the other input stays."""
    tried, problems = [], []
    for view in _cases(app):
        client = login_as(_creator(view))
        url = f"/{view.endpoint}/new/"
        page = client.get(url)
        if page.status_code != 200:
            continue
        fields = form_fields(page.get_data(as_text=True))
        for upload in [name for name, field in fields.items() if field["kind"] == "file"]:
            images_only = fields[upload].get("accept") == "image/*"
            data, kept_in = _fill(client, fields)
            before = view.model.objects.count()
            data[upload] = (io.BytesIO(HTML), "evil.png" if images_only else "evil.pdf")
            response = submit(client, url, data, content_type="multipart/form-data")
            body = response.get_data(as_text=True)
            message = "照片必须是图片文件" if images_only else "文件内容与类型不符"
            at = body.find(f'name="{upload}"')
            tried.append(f"{view.endpoint}.{upload}")
            if response.status_code != 200 or view.model.objects.count() != before:
                problems.append(f"{view.endpoint}.{upload}: HTTP {response.status_code}, saved or failed")
            elif at < 0 or message not in body[at:at + 1500]:
                problems.append(f"{view.endpoint}.{upload}: no message next to the field")
            elif kept_in and KEPT not in body:
                problems.append(f"{view.endpoint}.{upload}: lost the input of {kept_in}")
    assert problems == [], "\n".join(problems)
    # the registry's upload fields, the archives' own and the photo uploads among them
    assert {"attachment.upload", "expense.receipt_upload", "visit.photo_upload", "childarchive.scan_upload",
            "homelessarchive.photo_upload", "event.sign_in_sheet_upload"} <= set(tried), tried


def test_every_upload_field_refuses_a_decompression_bomb_with_a_message(app, login_as, people):
    problems = []
    for view in _cases(app):
        client = login_as(_creator(view))
        url = f"/{view.endpoint}/new/"
        page = client.get(url)
        if page.status_code != 200:
            continue
        fields = form_fields(page.get_data(as_text=True))
        for upload in [name for name, field in fields.items() if field["kind"] == "file"]:
            data, _ = _fill(client, fields)
            data[upload] = (io.BytesIO(png_header(30000, 30000)), "bomb.png")
            response = submit(client, url, data, content_type="multipart/form-data")
            if response.status_code != 200 or "图片尺寸过大" not in response.get_data(as_text=True):
                problems.append(f"{view.endpoint}.{upload}: HTTP {response.status_code}")
    assert problems == []


def test_a_group_session_refuses_a_huge_picture_and_keeps_its_input(app, login_as, townships):
    """The session page of a group takes photos outside the registry's forms."""
    from models.casework import GroupSeries
    from models.services import create_record

    client = login_as("staff")
    group = create_record(GroupSeries(title="上传测试小组", goal="提升沟通", township=townships["东江街道"],
                                      members=["甲", "乙"], started_on=dt.datetime(2026, 3, 1)), None)
    url = f"/groupseries/session/?id={group.pk}"
    for data, message in ((png_header(30000, 30000), "图片尺寸过大"), (HTML, "照片必须是图片文件")):
        response = submit(client, url, {"session_date": "2026-03-03", "hours": "2.5", "topic": KEPT,
                                        "attendance": ["甲"], "record_version": "1",
                                        "photo_upload": (io.BytesIO(data), "p.png")},
                          content_type="multipart/form-data")
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and message in body and KEPT in body
    assert GroupSeries.objects.get().session_count == 0


def test_a_stored_file_keeps_only_its_base_name(app, login_as, townships):
    client = login_as("staff")
    response = submit(client, "/attachment/new/", {
        "title": "路径测试", "kind": "scan", "township": str(townships["东江街道"].pk),
        "upload": (io.BytesIO(png_bytes()), "../../x.png")}, content_type="multipart/form-data")
    assert response.status_code == 302
    saved = Attachment.objects(title="路径测试").first()
    assert saved.filename == "x.png" and saved.file.filename == "x.png"


# ---------------------------------------------------------------- serving


def test_pictures_are_shown_and_other_files_are_downloaded(app, login_as, townships):
    home = townships["东江街道"]
    picture = make_attachment(home, title="照片", data=png_bytes(), filename="照片.png")
    document = make_attachment(home, title="文件", data=GOOD_DOCUMENTS[".pdf"], filename="确认书.pdf")
    client = login_as("staff")
    shown = client.get(f"/attachment/api/file/?id={picture.file.grid_id}")
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    assert shown.headers["Content-Disposition"].startswith("inline")
    downloaded = client.get(f"/attachment/api/file/?id={document.file.grid_id}")
    assert downloaded.status_code == 200 and downloaded.mimetype == "application/pdf"
    assert downloaded.headers["Content-Disposition"].startswith("attachment")
    assert downloaded.headers["X-Content-Type-Options"] == "nosniff"
