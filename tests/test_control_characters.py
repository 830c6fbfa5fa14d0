"""A NUL or another control character typed, pasted or sent into any text input
never reaches the database (the local database refuses a NUL in text: a 500 on
every save that held one) nor an export (the xlsx writer refuses them): every form
of the view registry, every list's search, and every column the importer reads
keep the text without them. Run on both lanes."""

import pytest

from models.archive_import import KIND_NAMES, _Lookups, columns_for
from models.text import CONTROL_CHARACTERS, without_control_characters
from views.base import SecureModelView

from .conftest import login
from .form_pages import CSRF_VALUE, form_fields, posted
from .test_hostile_forms import form_targets, one_of_each_record

CONTROLS = "\x00\x01\x07\x08\x0b\x0c\x1b\x1f\x7f"
TEXT_KINDS = ("text", "textarea")


def _stored_controls(db) -> list[str]:
    """Every stored text that holds a control character: (collection, field path)."""
    found = []

    def walk(value, path):
        if isinstance(value, str):
            if CONTROL_CHARACTERS.search(value):
                found.append(path)
        elif isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}")
        elif isinstance(value, list):
            for inner in value:
                walk(inner, f"{path}[]")

    for name in db.list_collection_names():
        if name.endswith(".chunks"):
            continue  # file contents: bytes
        for document in db[name].find():
            walk(document, name)
    return found


def test_the_helper_keeps_line_breaks_and_tabs_only():
    assert without_control_characters("甲\x00乙\r\n丙\t丁" + CONTROLS) == "甲乙\r\n丙\t丁"
    assert all(not CONTROL_CHARACTERS.search(without_control_characters(chr(c))) for c in range(0, 0x80))


def test_no_form_saves_a_control_character_or_fails_on_one(app, accounts, townships):
    from mongoengine.connection import get_db

    from seeds.demo import generate_demo_data

    with app.app_context():
        generate_demo_data(30, seed=14)
        one_of_each_record(townships, accounts)
        targets = form_targets(app, accounts)
    clients = {}
    failures, saved = [], 0
    for view, mode, records in targets:
        role = sorted(records)[0]
        if role not in clients:
            clients[role] = app.test_client()
            assert login(clients[role], accounts[role].username).status_code == 302
        client, pk = clients[role], records[role]
        url = f"/{view.endpoint}/new/" if mode == "create" else f"/{view.endpoint}/edit/?id={pk}"
        page = client.get(url, follow_redirects=True)
        url, text = page.request.full_path, page.get_data(as_text=True)
        fields = form_fields(text)
        changes = {}
        for name, field in fields.items():
            if field["kind"] in TEXT_KINDS:
                value = (field["values"] or [""])[0]
                middle = len(value) // 2
                changes[name] = value[:middle] + CONTROLS + value[middle:]  # the value itself once they are gone
        if not changes:
            continue
        response = client.post(url, data={"csrf_token": CSRF_VALUE.search(text).group(1), **posted(fields, changes)})
        if response.status_code >= 500:
            failures.append(f"{view.endpoint} {mode}: {response.status_code}")
        saved += response.status_code == 302
    with app.app_context():
        stored = _stored_controls(get_db())
    assert failures == [] and stored == [], (failures, stored)
    assert saved > 30, saved  # the edits went through, their text without the characters


def test_no_list_search_fails_on_a_control_character(app, accounts):
    client = app.test_client()
    assert login(client, accounts["coordinator"].username).status_code == 302
    failures = []
    for view in app.extensions["admin"][0]._views:
        if isinstance(view, SecureModelView) and view._search_supported:
            response = client.get(f"{view.url}/", query_string={"search": "张\x00小\x01明"})
            if response.status_code == 403:
                continue  # not the coordinator's page
            if response.status_code != 200 or "张小明" not in response.get_data(as_text=True):
                failures.append((view.endpoint, response.status_code))  # the search box keeps the term, cleaned
    assert failures == []


@pytest.mark.parametrize("kind", sorted(KIND_NAMES))
def test_the_importer_reads_every_column_without_control_characters(app, kind):
    """Each column of the import template, its example value with control characters in it, reads as the example."""
    with app.app_context():
        lookups = _Lookups(kind)
        for column in columns_for(kind):
            if not column.example:
                continue
            middle = len(column.example) // 2
            dirty = column.example[:middle] + CONTROLS + column.example[middle:]
            assert lookups.convert(column, dirty) == lookups.convert(column, column.example), column.header
