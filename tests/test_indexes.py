"""Every filter and the default sort of every list page is backed by an index
(the first key of an index, after the inheritance key), so a filtered list
does not scan the collection on a server that uses indexes; the default sort's
index ends with the record id, the tie-breaker every list sorts by."""

import datetime as dt

from flask_admin.contrib.mongoengine import ModelView


def _index_keys(model) -> list[list[tuple[str, int]]]:
    return [[(name, direction) for name, direction in spec["fields"] if name != "_cls"]
            for spec in model._meta.get("index_specs", [])]


def _sort_is_indexed(model, db_field: str) -> bool:
    """An index on (field, _id) in one direction serves the list's sort on
    (field, _id) both ways."""
    for keys in _index_keys(model):
        if len(keys) >= 2 and keys[0][0] == db_field and keys[1][0] == "_id" and keys[0][1] == keys[1][1]:
            return True
    return False


def test_every_filter_and_default_sort_is_indexed(app):
    admin = app.extensions["admin"][0]
    missing = []
    for view in admin._views:
        if not isinstance(view, ModelView):
            continue
        leading = {"_id"} | {keys[0][0] for keys in _index_keys(view.model) if keys}
        for name in (f if isinstance(f, str) else f.name for f in view.column_filters or ()):
            field = view.model._fields.get(name)
            if (field.db_field if field else name) not in leading:
                missing.append(f"{view.endpoint}.{name}")
        for name, _descending in view._get_default_order() or ():
            field = view.model._fields.get(name)
            if not _sort_is_indexed(view.model, field.db_field if field else name):
                missing.append(f"{view.endpoint} sort {name}")
    assert missing == []


def test_sync_indexes_drops_an_index_the_models_no_longer_declare(app):
    from models.audit import AuditEntry
    from models.visits import Visit

    runner = app.test_cli_runner()
    with app.app_context():
        # the single-key sort index of an earlier version, still on an upgraded database
        AuditEntry._get_collection().create_index([("at", -1)], name="at_-1")
        result = runner.invoke(args=["sync-indexes"])
        assert "audit_entries：已删除旧索引 at_-1" in result.output
        names = set(AuditEntry._get_collection().index_information())
        assert "at_-1" not in names and "at_-1__id_-1" in names and "township_1" in names
        assert "visited_at_-1__id_-1" in Visit._get_collection().index_information()
        assert "没有需要删除的旧索引" in runner.invoke(args=["sync-indexes"]).output


def test_sync_indexes_marks_records_of_an_earlier_version_as_not_voided(app, townships, login_as):
    """Every query asks voided=False; a record stored without the key is found again after the upgrade step."""
    from models.patrols import Patrol

    Patrol._get_collection().insert_one({"places": "旧版巡查地点", "version": 1, "patrol_date": dt.datetime(2026, 3, 2),
                                         "start_time": "20:00", "end_time": "22:00",
                                         "township": townships["东江街道"].pk, "staff": [], "encounters": []})
    client = login_as("coordinator")
    assert "旧版巡查地点" not in client.get("/patrol/").get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["sync-indexes"])
    assert "patrols：1 条旧记录补上“未作废”标记" in result.output
    assert "旧版巡查地点" in client.get("/patrol/").get_data(as_text=True)


def test_sync_indexes_gives_photos_of_an_earlier_version_their_digests(app, townships):
    """The reuse check asks the top-level photo_hashes; records saved before it existed get it on upgrade."""
    from models.services import create_record
    from models.visits import Visit, add_photo

    from .archive_helpers import make_child
    from .helpers import png_bytes

    child = make_child(townships["东江街道"], sequence=31)
    first = Visit(people=[child], visited_at=dt.datetime(2026, 3, 5, 11), mode="home", contact="made",
                  township=child.township)
    add_photo(first, png_bytes(color=(9, 9, 9)), "a.png", 5 * 1024 * 1024)
    create_record(first, None)
    Visit._get_collection().update_one({"_id": first.pk}, {"$unset": {"photo_hashes": ""}})  # as stored before
    again = Visit(people=[child], visited_at=dt.datetime(2026, 3, 6, 11), mode="home", contact="made",
                  township=child.township)
    assert add_photo(again, png_bytes(color=(9, 9, 9)), "b.png", 5 * 1024 * 1024).duplicate_of is None
    result = app.test_cli_runner().invoke(args=["sync-indexes"])
    assert "visits：1 条旧记录补上照片摘要" in result.output
    assert add_photo(again, png_bytes(color=(9, 9, 9)), "c.png", 5 * 1024 * 1024).duplicate_of == str(first.pk)


def _collections():
    """Each stored collection once, with the index specs of its documents."""
    from mongoengine.base import _document_registry

    seen = {}
    for document in _document_registry.values():
        meta = getattr(document, "_meta", {})
        if meta.get("abstract") or meta.get("collection") is None:
            continue
        seen.setdefault(document._get_collection_name(), meta.get("index_specs", []))
    return seen


def test_no_declared_index_is_the_prefix_of_another(app):
    """An index whose keys begin another index of the same collection serves nothing that
    one does not, and costs every write (on the local database a GIN twin per field too)."""
    redundant = []
    for collection, specs in _collections().items():
        for short in specs:
            if short.get("unique") or short.get("sparse"):
                continue
            for long in specs:
                if len(short["fields"]) < len(long["fields"]) and long["fields"][:len(short["fields"])] == short["fields"]:
                    redundant.append(f"{collection}: {short['fields']} ⊂ {long['fields']}")
    assert len(_collections()) > 30
    assert redundant == []
