"""Nothing sent is lost: a file sent with a form whose save is refused is kept for
its sender and shown in the form again, ticked; the next save takes it; nobody
else can take or see it; stale ones are removed. A request over the upload limit
comes back to its form with a Chinese message. After a save the next page tells
the browser which form's draft is done with, under a token that names no account."""

import datetime as dt
import io
import re

import pytest

from models.clock import local_now
from models.pending import PendingUpload, clean_stale, keep_pending, owned
from views.base import _values_at

from .conftest import make_app, submit
from .helpers import form_fields, png_bytes
from .test_uploads import GOOD_DOCUMENTS, MB, _cases, _creator, _fill, people  # noqa: F401  (fixture)

SUFFIX = "__pending"


def _kept_ids(body: str, field: str) -> list[str]:
    return re.findall(rf'name="{re.escape(field + SUFFIX)}" value="([0-9a-f]{{24}})" checked', body)


def _good_file(images_only: bool):
    return (io.BytesIO(png_bytes(size=(64, 48))), "现场.png") if images_only else \
        (io.BytesIO(GOOD_DOCUMENTS[".pdf"]), "材料.pdf")


@pytest.mark.usefixtures("people")
def test_every_upload_field_keeps_its_file_across_a_refused_save_and_the_next_save_takes_it(app, login_as):
    """For each view of the registry whose create form takes a file: the form is sent
    with a good file and an expired security token (a refused save). The page that
    comes back shows the file as already attached next to its field; sending the form
    again without choosing the file saves the record with it, and nothing stays pending."""
    tried, adopted, problems = [], [], []
    for view in _cases(app):
        client = login_as(_creator(view))
        url = f"/{view.endpoint}/new/"
        page = client.get(url)
        if page.status_code != 200:
            continue
        fields = form_fields(page.get_data(as_text=True))
        for upload in [name for name, field in fields.items() if field["kind"] == "file"]:
            images_only = fields[upload].get("accept") == "image/*"
            data, _ = _fill(client, fields)
            before = view.model.objects.count()
            refused = client.post(url, data={**data, "csrf_token": "expired", upload: _good_file(images_only)},
                                  content_type="multipart/form-data")
            body = refused.get_data(as_text=True)
            kept = _kept_ids(body, upload)
            tried.append(f"{view.endpoint}.{upload}")
            if refused.status_code != 200 or view.model.objects.count() != before or len(kept) != 1:
                problems.append(f"{view.endpoint}.{upload}: refused save kept {kept} (HTTP {refused.status_code})")
                continue
            at = body.find(f'name="{upload}"')
            if body.find(f'name="{upload}{SUFFIX}"') - at > 1500:
                problems.append(f"{view.endpoint}.{upload}: the kept file is not shown beside its field")
            thumbnail = client.get(f"/pending/?id={kept[0]}")
            if thumbnail.status_code != 200:
                problems.append(f"{view.endpoint}.{upload}: the kept file is not served to its sender")
            saved = submit(client, url, {**data, f"{upload}{SUFFIX}": kept[0]}, content_type="multipart/form-data")
            if saved.status_code == 200:  # refused again by a rule the generic input does not meet: still kept
                if _kept_ids(saved.get_data(as_text=True), upload) != kept:
                    problems.append(f"{view.endpoint}.{upload}: a second refusal lost the kept file")
                continue
            if saved.status_code != 302 or view.model.objects.count() != before + 1:
                problems.append(f"{view.endpoint}.{upload}: the second save failed (HTTP {saved.status_code})")
                continue
            adopted.append(f"{view.endpoint}.{upload}")
            record = view.model.objects.order_by("-id").first()
            files = [v for path in view.file_fields for v in _values_at(record, path) if getattr(v, "grid_id", None)]
            if not files:
                problems.append(f"{view.endpoint}.{upload}: the saved record holds no file")
            if PendingUpload.objects(pk=kept[0]).count():
                problems.append(f"{view.endpoint}.{upload}: the adopted file is still pending")
    assert problems == [], "\n".join(problems)
    assert {"attachment.upload", "expense.receipt_upload", "visit.photo_upload", "childarchive.scan_upload",
            "homelessarchive.photo_upload", "event.sign_in_sheet_upload"} <= set(tried), tried
    assert {"attachment.upload", "visit.photo_upload", "event.sign_in_sheet_upload"} <= set(adopted), adopted


@pytest.mark.usefixtures("people")
def test_a_kept_file_is_only_ever_given_back_to_its_sender(app, login_as, accounts):
    client = login_as("staff")
    refused = client.post("/attachment/new/", data={"title": "待存", "kind": "photo", "csrf_token": "expired",
                                                     "upload": _good_file(True)}, content_type="multipart/form-data")
    kept = _kept_ids(refused.get_data(as_text=True), "upload")
    assert len(kept) == 1
    other = login_as("staff2")
    assert other.get(f"/pending/?id={kept[0]}").status_code == 404
    with app.app_context():
        assert owned(accounts["staff2"].pk, "upload", kept, 48) == []
        assert [str(p.pk) for p in owned(accounts["staff"].pk, "upload", kept, 48)] == kept
        assert owned(accounts["staff"].pk, "photo_upload", kept, 48) == []  # another field's file is not taken


def test_an_unticked_kept_file_is_not_saved(app, login_as, townships):
    client = login_as("staff")
    refused = client.post("/attachment/new/", data={"title": "不要了", "kind": "photo", "csrf_token": "expired",
                                                     "township": str(townships["东江街道"].pk),
                                                     "upload": _good_file(True)}, content_type="multipart/form-data")
    assert len(_kept_ids(refused.get_data(as_text=True), "upload")) == 1
    again = submit(client, "/attachment/new/", {"title": "不要了", "kind": "photo",
                                                "township": str(townships["东江街道"].pk)},
                   content_type="multipart/form-data")
    assert again.status_code == 200 and "请选择要上传的文件" in again.get_data(as_text=True)


@pytest.mark.parametrize("age_hours", [1, 47, 49, 500])
def test_stale_kept_files_are_removed_and_fresh_ones_stay(app, accounts, age_hours):
    with app.app_context():
        item = keep_pending(accounts["staff"].pk, "photo_upload", png_bytes(), "a.png", MB, True)
        item.created_at = local_now() - dt.timedelta(hours=age_hours)
        item.save()
        removed = clean_stale(48)
        stale = age_hours > 48
        assert removed == (1 if stale else 0)
        assert PendingUpload.objects.count() == (0 if stale else 1)
        assert owned(accounts["staff"].pk, "photo_upload", [str(item.pk)], 48) == ([] if stale else [item])


def test_a_file_that_is_not_acceptable_is_not_kept(app, accounts):
    with app.app_context():
        assert keep_pending(accounts["staff"].pk, "photo_upload", b"<html>", "x.png", MB, True) is None
        assert keep_pending(accounts["staff"].pk, "photo_upload", png_bytes(), "x.png", 10, True) is None
        assert PendingUpload.objects.count() == 0


@pytest.fixture
def small_limit_app():
    application = make_app(MAX_CONTENT_LENGTH=64 * 1024)
    from seeds.loader import load_reference_data

    with application.app_context():
        load_reference_data()
    yield application


def test_a_form_sent_over_the_upload_limit_comes_back_to_itself_with_a_chinese_message(small_limit_app):
    from admin_app.accounts import create_user

    from .conftest import PASSWORD, login

    with small_limit_app.app_context():
        create_user("shegong9", "staff", "吴社工", PASSWORD)
    client = small_limit_app.test_client()
    login(client, "shegong9")
    url = "/attachment/new/?url=%2Fattachment%2F"
    response = client.post(url, data={"title": "大照片", "upload": (io.BytesIO(b"\xff" * 100 * 1024), "big.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    page = client.get(url).get_data(as_text=True)
    assert "超过 0 MB" not in page
    assert "没有上传，本次未保存。您填写的内容已保留" in page and 'class="admin-form' in page
    assert "文件过大（413）" not in page


def test_after_a_save_the_next_page_names_the_saved_form_under_a_token_that_names_no_account(app, login_as,
                                                                                              accounts, townships):
    client = login_as("staff")
    form = "/attachment/new/?url=%2Fattachment%2F"
    page = client.get(form).get_data(as_text=True)
    token = re.search(r'name="draft-owner" content="([0-9a-f]+)"', page).group(1)
    assert str(accounts["staff"].pk) not in page
    saved = submit(client, form, {"title": "保存后", "kind": "scan", "township": str(townships["东江街道"].pk),
                                  "upload": _good_file(True)}, content_type="multipart/form-data")
    assert saved.status_code == 302
    after = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert f'name="draft-saved" content="{form}"' in after.replace("&amp;", "&").replace("%2F", "%2F")
    assert 'name="draft-saved"' not in client.get("/attachment/").get_data(as_text=True)  # told once
    other = login_as("staff2").get(form).get_data(as_text=True)
    assert re.search(r'name="draft-owner" content="([0-9a-f]+)"', other).group(1) != token
