"""The points where backends differ: run on mongomock and, in the second lane,
on FerretDB (a real MongoDB-wire-protocol server)."""

import io

import pytest
from mongoengine.connection import get_connection

from models.errors import DuplicateRecordError, StaleRecordError
from models.reference import Township
from models.services import create_record, snapshot, update_record

from .conftest import TEST_URI, csrf_token, on_ferretdb
from .helpers import make_attachment, png_bytes


def test_lane_uses_the_database_it_claims(app):
    client = get_connection()
    if on_ferretdb():
        assert TEST_URI and "ferretdb" in str(client.admin.command("buildInfo")).lower()
    else:
        assert type(client).__module__.startswith("mongomock")


def test_case_insensitive_chinese_search_through_the_base_view(app, login_as, townships):
    make_attachment(townships["东江街道"], title="东江社区签到表ABC")
    make_attachment(townships["东江街道"], title="探访照片", data=png_bytes(color=(9, 9, 9)))
    client = login_as("coordinator")
    for term in ("abc", "签到", "社区签到表a", "(签到"):
        page = client.get("/attachment/", query_string={"search": term}).get_data(as_text=True)
        if term == "(签到":
            assert "东江社区签到表ABC" not in page  # a regex metacharacter is searched literally
        else:
            assert "东江社区签到表ABC" in page and "探访照片" not in page, term


def test_filters_are_portable(app, login_as, townships):
    make_attachment(townships["东江街道"], title="东江照片")
    make_attachment(townships["穿山街道"], title="穿山照片", data=png_bytes(color=(5, 5, 5)))
    client = login_as("coordinator")
    page = client.get("/attachment/", query_string={"flt0_title_contains": "东江"}).get_data(as_text=True)
    assert "东江照片" in page and "穿山照片" not in page


def test_unique_index_refuses_a_duplicate(app):
    with pytest.raises(DuplicateRecordError, match="区划代码 450305001 已存在"):
        create_record(Township(code="450305001", name="重复", kind="街道"), None)
    assert Township.objects(code="450305001").count() == 1


def test_gridfs_round_trip_of_a_1_mb_image(app, login_as, townships):
    data = png_bytes(size=(600, 600), noise_bytes=1)
    assert len(data) > 1_000_000
    client = login_as("staff")
    token = csrf_token(client, "/attachment/new/")
    response = client.post("/attachment/new/", data={
        "csrf_token": token, "title": "大图", "kind": "photo", "township": str(townships["东江街道"].pk),
        "upload": (io.BytesIO(data), "big.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    from models.attachments import Attachment

    doc = Attachment.objects(title="大图").first()
    assert doc.size == len(data) and doc.content_type == "image/png"
    download = client.get(f"/attachment/api/file/?id={doc.file.grid_id}")
    assert download.status_code == 200 and download.data == data


def test_concurrent_saves_conflict(app):
    township = Township.objects(code="450305200").first()
    first = Township.objects(pk=township.pk).first()
    second = Township.objects(pk=township.pk).first()
    before_first, before_second = snapshot(first), snapshot(second)
    first.note = "甲的修改"
    second.note = "乙的修改"
    update_record(first, before_first, 1, None)
    with pytest.raises(StaleRecordError):
        update_record(second, before_second, 1, None)
    assert Township.objects(pk=township.pk).first().note == "甲的修改"


def test_group_on_a_single_field_path(app):
    """FerretDB 1.24 silently drops all but one key of a compound $group _id;
    the code groups on single fields only, and this keeps that true."""
    from models.visits import Visit

    collection = Visit._get_collection()
    collection.insert_many([{"tag": "a", "n": 1}, {"tag": "a", "n": 2}, {"tag": "b", "n": 3}])
    rows = {r["_id"]: r["n"] for r in collection.aggregate([{"$match": {"tag": {"$in": ["a", "b"]}}},
                                                            {"$group": {"_id": "$tag", "n": {"$sum": "$n"}}}])}
    assert rows == {"a": 3, "b": 3}
