"""A user limited to one township sees and touches only its records: list,
count, details, edit, export, file download and ajax lookups alike."""

from models.attachments import Attachment

from .helpers import make_attachment, png_bytes


def _two_attachments(app, townships):
    with app.app_context():
        mine = make_attachment(townships["东江街道"], title="东江签到表")
        other = make_attachment(townships["穿山街道"], title="穿山签到表", data=png_bytes(color=(1, 2, 3)))
    return mine, other


def test_list_and_count_are_scoped(app, login_as, townships):
    mine, other = _two_attachments(app, townships)
    page = login_as("staff").get("/attachment/").get_data(as_text=True)
    assert "东江签到表" in page and "穿山签到表" not in page
    page = login_as("coordinator").get("/attachment/").get_data(as_text=True)
    assert "东江签到表" in page and "穿山签到表" in page


def test_details_and_edit_of_another_township_are_refused(app, login_as, townships):
    mine, other = _two_attachments(app, townships)
    client = login_as("staff")
    assert "东江签到表" in client.get(f"/attachment/details/?id={mine.pk}").get_data(as_text=True)
    for url in (f"/attachment/details/?id={other.pk}", f"/attachment/edit/?id={other.pk}"):
        response = client.get(url, follow_redirects=True)
        assert "穿山签到表" not in response.get_data(as_text=True)


def test_export_is_scoped(app, login_as, townships):
    _two_attachments(app, townships)
    body = login_as("staff").get("/attachment/export/csv/").get_data(as_text=True)
    assert "东江签到表" in body and "穿山签到表" not in body


def test_file_download_is_scoped(app, login_as, townships):
    mine, other = _two_attachments(app, townships)
    client = login_as("staff")
    assert client.get(f"/attachment/api/file/?id={mine.file.grid_id}").status_code == 200
    assert client.get(f"/attachment/api/file/?id={other.file.grid_id}").status_code == 404
    assert client.get(f"/attachment/api/file/?id={other.file.grid_id}&coll=attachment_files").status_code == 404
    assert login_as("staff2").get(f"/attachment/api/file/?id={other.file.grid_id}").status_code == 200


def test_ajax_lookup_is_scoped(login_as):
    body = login_as("staff").get("/attachment/ajax/lookup/?name=township&query=街道").get_json()
    names = [label for _, label in body]
    assert names == ["东江街道"]
    body = login_as("coordinator").get("/attachment/ajax/lookup/?name=township&query=街道").get_json()
    assert len(body) == 4


def test_staff_cannot_file_a_record_under_another_township(app, login_as, townships):
    from .conftest import csrf_token

    client = login_as("staff")
    token = csrf_token(client, "/attachment/new/")
    response = client.post("/attachment/new/", data={
        "csrf_token": token, "title": "越权上传", "kind": "scan",
        "township": str(townships["穿山街道"].pk),
        "upload": (__import__("io").BytesIO(png_bytes()), "a.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "不在您的负责范围内" in response.get_data(as_text=True)
    assert Attachment.objects(title="越权上传").count() == 0


def test_donations_of_another_township_are_not_listed_opened_or_exported(app, login_as, townships):
    import datetime as dt

    from models.charity import Donation
    from models.services import create_record

    from .archive_helpers import make_child

    with app.app_context():
        child = make_child(townships["东江街道"], name="东江受助儿童")
        donation = create_record(Donation(direction="given", donated_on=dt.datetime(2026, 3, 2), kind="in_kind",
                                          items="东江助学书包", recipient=child), None)
    assert donation.township.pk == townships["东江街道"].pk  # taken from the recipient
    client = login_as("staff2")  # 穿山街道
    assert "东江助学书包" not in client.get("/donation/").get_data(as_text=True)
    assert client.get(f"/donation/details/?id={donation.pk}").status_code in (302, 404)
    assert "东江助学书包" not in client.get(f"/donation/details/?id={donation.pk}", follow_redirects=True) \
        .get_data(as_text=True)
    assert "东江助学书包" not in client.get("/donation/export/csv/").get_data(as_text=True)
    assert "东江助学书包" in login_as("staff").get("/donation/").get_data(as_text=True)
