"""A selection the app cuts short says so: voiding more records than it takes at once
tells how many were left out (and leaves them untouched), and a filter drop-down with
more records than it lists says that it lists only the first ones. The limits are
lowered for the test, so a handful of records is more than they take."""

import re

import mongoengine
import pytest

from models.attachments import Attachment
from models.reference import Township
from views.base.admin_fixes import ReferenceEqual

from .conftest import submit
from .helpers import make_attachment


def _view(app, endpoint):
    return next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)


def test_voiding_more_than_at_once_says_how_many_are_left_out(app, login_as, townships, monkeypatch):
    with app.app_context():
        docs = [make_attachment(townships["东江街道"], title=f"签到表{index}") for index in range(5)]
    monkeypatch.setattr(_view(app, "attachment"), "void_at_once", 3)
    ids = ",".join(str(d.pk) for d in docs)
    client = login_as("coordinator")

    page = client.get(f"/attachment/void/?ids={ids}").get_data(as_text=True)
    assert "一次最多作废 3 条记录" in page and "所选的另外 2 条不在这一次之内" in page
    assert len(re.findall(r"<li>签到表", page)) == 3

    response = submit(client, f"/attachment/void/?ids={ids}", {"ids": ids, "reason": "重复上传"},
                      follow_redirects=True)
    assert "已作废 3 条记录" in response.get_data(as_text=True)
    assert "所选的另外 2 条记录未处理（一次最多 3 条）" in response.get_data(as_text=True)
    assert Attachment.objects(voided=True).count() == 3
    assert Attachment.objects(voided=False).count() == 2


def test_voiding_no_more_than_at_once_says_nothing_is_left_out(app, login_as, townships):
    with app.app_context():
        docs = [make_attachment(townships["东江街道"], title=f"签到表{index}") for index in range(3)]
    ids = ",".join(str(d.pk) for d in docs)
    page = login_as("coordinator").get(f"/attachment/void/?ids={ids}").get_data(as_text=True)
    assert "void-left-out" not in page and len(re.findall(r"<li>签到表", page)) == 3


def test_a_filter_drop_down_cut_short_says_so(app, login_as, townships, monkeypatch):
    client = login_as("coordinator")
    assert "cut-filter" not in client.get("/visit/").get_data(as_text=True)  # every township is offered
    with app.app_context():
        count = Township.objects.count()
    assert count > 1
    monkeypatch.setattr(ReferenceEqual, "most", count - 1)
    page = client.get("/visit/").get_data(as_text=True)
    assert f"的下拉只列出前 {count - 1} 项" in page


def test_a_record_placed_outside_the_users_townships_is_refused_for_lack_of_rights(app, accounts, townships):
    """Every scoped model view of the registry refuses, as PermissionDenied (403 outside a
    form), a record a township-limited worker places in another township."""
    from flask_login import login_user

    from models.errors import PermissionDenied
    from views.base import SecureModelView

    other = townships["穿山街道"]
    checked = []
    with app.test_request_context():
        login_user(accounts["staff"])  # limited to 东江街道
        for view in app.extensions["admin"][0]._views:
            field = getattr(getattr(view, "model", None), "scope_field", None)
            if not isinstance(view, SecureModelView) or not field or \
                    type(view).check_scope is not SecureModelView.check_scope:
                continue
            record = view.model()
            value = [other] if isinstance(view.model._fields[field], mongoengine.ListField) else other
            setattr(record, field, value)
            with pytest.raises(PermissionDenied, match="只能选择您负责的街道/乡镇"):
                view.check_scope(record)
            checked.append(view.endpoint)
    assert len(checked) > 10
