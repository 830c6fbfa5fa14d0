"""One code path for the three databases: MongoDB (``MONGODB_URI``), the local
FerretDB, and in-memory mongomock (demo and tests)."""

import contextvars
import functools
import threading

import mongoengine
import mongomock
import mongomock.gridfs
from mongoengine.connection import disconnect_all
from mongomock.collection import Collection as MockCollection
from mongomock.collection import Cursor as MockCursor
from pymongo import monitoring

from .mongomock_speed import speed_up_mongomock

#: Commands that may change data: once one is sent, a request cut off by an outage may have saved something.
WRITE_COMMANDS = frozenset({"insert", "update", "delete", "findAndModify", "bulkWrite"})
#: Collections whose writes save nothing a person sees: the note of a write about to happen
#: (models.derived) is written before the record, so a request cut off right after it saved nothing.
BOOKKEEPING_COLLECTIONS = frozenset({"derived_pending"})


class _Tally:
    """The commands one request (one context) sent: the threads it asks its
    questions from (models.base.ask_at_once) run in copies of its context and add here."""

    def __init__(self):
        self.count = 0
        self.names: list[str] = []
        self.writes = 0
        self.lock = threading.Lock()


class CommandCounter(monitoring.CommandListener):
    """Counts database commands per request context: a machine-independent cost figure.
    It also counts the write commands sent (never reset), so that a request cut
    off by an outage can tell whether it had sent one."""

    def __init__(self):
        self._tally: contextvars.ContextVar[_Tally] = contextvars.ContextVar("command_tally")
        #: Whether commands are seen at all (not on mongomock, which sends none).
        self.watching = False

    def _current(self) -> _Tally:
        tally = self._tally.get(None)
        if tally is None:
            tally = _Tally()
            self._tally.set(tally)
        return tally

    @property
    def writes(self) -> int:
        return self._current().writes

    @property
    def count(self) -> int:
        return self._current().count

    def reset(self) -> None:
        tally = self._current()
        with tally.lock:
            tally.count = 0
            tally.names = []

    @property
    def names(self) -> list[str]:
        return self._current().names

    def started(self, event):
        tally = self._current()
        with tally.lock:
            tally.count += 1
            tally.names.append(event.command_name)
            if (event.command_name in WRITE_COMMANDS
                    and event.command.get(event.command_name) not in BOOKKEEPING_COLLECTIONS):
                tally.writes += 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


command_counter = CommandCounter()

#: mongomock's operations, as a server runs them: one at a time. mongomock itself is not
#: thread-safe (two threads saving one record can both pass its version check, or one can
#: copy a document the other is changing), and the demo server and the concurrency tests
#: run requests in threads.
_MOCK_LOCK = threading.RLock()
_MOCK_OPERATIONS = ("insert_one", "insert_many", "update_one", "update_many", "replace_one", "find_one",
                    "find_one_and_delete", "find_one_and_replace", "find_one_and_update", "delete_one",
                    "delete_many", "count_documents", "estimated_document_count", "distinct", "aggregate",
                    "bulk_write", "drop", "create_index", "create_indexes", "drop_index", "drop_indexes", "rename")


def _one_at_a_time(operation):
    @functools.wraps(operation)
    def serialised(*args, **kwargs):
        with _MOCK_LOCK:
            return operation(*args, **kwargs)

    serialised.serialised = True
    return serialised


def serialise_mongomock() -> None:
    """Make every mongomock collection operation (and a cursor's reading of its results) run
    one at a time in this process (idempotent)."""
    for owner, names in ((MockCollection, _MOCK_OPERATIONS), (MockCursor, ("_compute_results",))):
        for name in names:
            operation = getattr(owner, name)
            if not getattr(operation, "serialised", False):
                setattr(owner, name, _one_at_a_time(operation))


def connect_database(settings: dict) -> None:
    """(Re)connect mongoengine's default alias as the settings say."""
    disconnect_all()
    command_counter.watching = False
    uri = settings.get("MONGODB_URI")
    mode = settings["APP_MODE"]
    if mode == "demo" or (mode == "test" and not uri):
        mongomock.gridfs.enable_gridfs_integration()
        serialise_mongomock()
        speed_up_mongomock()
        mongoengine.connect(
            db=settings["MONGODB_DB"],
            host="mongodb://localhost",
            mongo_client_class=mongomock.MongoClient,
            uuidRepresentation="standard",
        )
        return
    if not uri:
        uri = f"mongodb://{settings['LOCALDB_ADDRESS']}/"
    mongoengine.connect(
        db=settings["MONGODB_DB"],
        host=uri,
        serverSelectionTimeoutMS=settings["DB_TIMEOUT_MS"],
        connectTimeoutMS=settings["DB_TIMEOUT_MS"],
        uuidRepresentation="standard",
        tz_aware=False,
        event_listeners=[command_counter],
    )
    command_counter.watching = True


def using_mongomock() -> bool:
    client = mongoengine.connection.get_connection()
    return type(client).__module__.startswith("mongomock")
