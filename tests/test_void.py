from models.attachments import Attachment

from .conftest import submit
from .helpers import make_attachment


def test_void_needs_a_reason_and_hides_the_record(app, login_as, townships):
    with app.app_context():
        doc = make_attachment(townships["东江街道"], title="拍错的照片")
    client = login_as("staff")
    url = f"/attachment/void/?ids={doc.pk}"
    response = submit(client, url, {"ids": str(doc.pk), "reason": "  "})
    assert "请填写原因" in response.get_data(as_text=True)
    assert not Attachment.objects(pk=doc.pk).first().voided

    response = submit(client, url, {"ids": str(doc.pk), "reason": "重复上传"})
    assert response.status_code == 302
    stored = Attachment.objects(pk=doc.pk).first()
    assert stored.voided and stored.void_reason == "重复上传" and stored.voided_by == "shegong"
    assert "拍错的照片" not in client.get("/attachment/").get_data(as_text=True)
    assert "拍错的照片" in client.get("/attachment/?voided=1").get_data(as_text=True)

    response = submit(client, f"/attachment/void/?ids={doc.pk}&restore=1",
                      {"ids": str(doc.pk), "reason": "误作废", "restore": "1"})
    assert response.status_code == 302
    assert not Attachment.objects(pk=doc.pk).first().voided


def test_nothing_is_hard_deleted(app, login_as, townships):
    with app.app_context():
        doc = make_attachment(townships["东江街道"])
    client = login_as("coordinator")
    page = client.get("/attachment/").get_data(as_text=True)
    assert "/attachment/delete/" not in page
    submit(client, "/attachment/", {"id": str(doc.pk)}, post_url="/attachment/delete/")
    assert Attachment.objects(pk=doc.pk).count() == 1


def test_manager_cannot_void(app, login_as, townships):
    with app.app_context():
        doc = make_attachment(townships["东江街道"])
    client = login_as("manager")
    assert client.get(f"/attachment/void/?ids={doc.pk}").status_code == 403
