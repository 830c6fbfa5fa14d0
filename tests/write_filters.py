"""Every write's filter must be one the local database sends to PostgreSQL: top-level
equality with a plain value (``{"_id": x}``, ``{"_id": x, "version": 3}``). Any other filter
(``$in``, ``$ne``, a range, a dotted path, ``null``) makes FerretDB read the whole collection
in Go while it holds the write lock, so every save of every user waits on it: a visit save
took 5 s that way at district scale. On the FerretDB lane, a listener sees every write
command the app sends while it answers a request, in every test (conftest.py fails the
test). Not covered: writes outside a request (the demo data generator, start-up upgrades,
the command line, a test's own set-up). An empty filter (a deliberate whole-collection
write: a rebuild) is allowed."""

import datetime as dt
import threading

from bson import ObjectId
from flask import has_request_context
from pymongo import monitoring

PLAIN = (str, ObjectId, int, float, bool, dt.datetime)
FILTERS = {"update": ("updates", "q"), "delete": ("deletes", "q"), "findAndModify": (None, "query")}


def pushed_down(query: dict) -> bool:
    """Whether FerretDB 1.24 sends ``query`` to PostgreSQL (top-level scalar equality)."""
    for key, value in query.items():
        if key.startswith("$") or "." in key:
            return False
        if isinstance(value, dict) and set(value) == {"$eq"}:
            value = value["$eq"]
        if not isinstance(value, PLAIN):
            return False
    return True


class ScanningWrites(monitoring.CommandListener):
    """Records the write commands whose filter makes the local database scan."""

    def __init__(self):
        self._lock = threading.Lock()
        self.found: list[str] = []

    def started(self, event):
        where = FILTERS.get(event.command_name)
        if where is None or not has_request_context():
            return
        many, key = where
        statements = event.command.get(many) or [] if many else [event.command]
        for statement in statements:
            query = statement.get(key) or {}
            if query and not pushed_down(query):
                with self._lock:
                    self.found.append(f"{event.command_name} {event.command.get(event.command_name)}: {query}")

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass

    def take(self) -> list[str]:
        with self._lock:
            found, self.found = self.found, []
        return found


#: Commands that change a collection's records (the collection's name is the command's value).
CHANGING = ("insert", "update", "delete", "findAndModify", "drop", "create", "renameCollection")


class WrittenCollections(monitoring.CommandListener):
    """The collections each database has had written since it was last asked, so that a
    test's fresh database puts back only those (conftest.py, the local-database lane)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._written: dict[str, set[str]] = {}

    def started(self, event):
        if event.command_name not in CHANGING:
            return
        name = event.command.get(event.command_name)
        if event.command_name == "renameCollection":  # "db.old" to "db.new": both are changed
            names = [str(name), str(event.command.get("to"))]
            with self._lock:
                for full in names:
                    database, _, collection = full.partition(".")
                    self._written.setdefault(database, set()).add(collection)
            return
        with self._lock:
            self._written.setdefault(event.database_name, set()).add(str(name))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass

    def take(self, database: str) -> set[str]:
        with self._lock:
            return self._written.pop(database, set())
