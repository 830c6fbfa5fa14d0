"""Lists issue the same number of database commands whatever the page size
and however many records there are (no query per row)."""

from models.attachments import Attachment
from models.services import create_record

from .dbcount import count_commands
from .helpers import make_attachment


def _commands(client, url):
    client.get(url)  # warm up: index creation, reference caches
    with count_commands() as count:
        response = client.get(url)
    assert response.status_code == 200
    return count.value


def _bulk_attachments(townships, n):
    first = make_attachment(townships["东江街道"], title="样本")
    for i in range(n):
        doc = Attachment(title=f"签到表{i}", kind="scan",
                         township=townships["东江街道" if i % 2 else "穿山街道"])
        doc.file = first.file
        doc.filename, doc.content_type, doc.size = first.filename, first.content_type, first.size
        create_record(doc, None)


def test_attachment_list_cost_does_not_grow(app, login_as, townships):
    _bulk_attachments(townships, 30)
    client = login_as("coordinator")
    small = _commands(client, "/attachment/?page_size=20")
    _bulk_attachments(townships, 90)
    large = _commands(client, "/attachment/?page_size=100")
    assert small == large
    assert small <= 8


def test_audit_list_cost_does_not_grow(app, login_as, townships):
    client = login_as("admin")
    small = _commands(client, "/audit/?page_size=20")
    _bulk_attachments(townships, 60)
    large = _commands(client, "/audit/?page_size=100")
    assert small == large


def test_user_list_dereferences_townships_in_one_query(app, login_as, accounts):
    client = login_as("admin")
    assert _commands(client, "/user/") <= 8
