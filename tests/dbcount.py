"""Count database commands issued by a block of code.

On a real server (the FerretDB lane) pymongo's command monitoring counts them;
on mongomock, which has no monitoring, each collection operation counts one."""

import contextlib

import mongomock.collection

from admin_app.database import command_counter, using_mongomock

_MOCK_OPERATIONS = (
    "find", "find_one", "count_documents", "estimated_document_count", "aggregate", "distinct",
    "insert_one", "insert_many", "update_one", "update_many", "replace_one", "delete_one",
    "delete_many", "find_one_and_update", "find_one_and_replace", "find_one_and_delete", "bulk_write",
)


class Count:
    def __init__(self):
        self.value = 0


@contextlib.contextmanager
def count_commands():
    count = Count()
    if using_mongomock():
        originals = {}
        for name in _MOCK_OPERATIONS:
            original = getattr(mongomock.collection.Collection, name)
            originals[name] = original

            def wrapper(self, *args, _original=original, **kwargs):
                count.value += 1
                return _original(self, *args, **kwargs)

            setattr(mongomock.collection.Collection, name, wrapper)
        try:
            yield count
        finally:
            for name, original in originals.items():
                setattr(mongomock.collection.Collection, name, original)
    else:
        command_counter.reset()
        try:
            yield count
        finally:
            count.value = command_counter.count
