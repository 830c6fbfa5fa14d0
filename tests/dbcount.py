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
        self.depth = 0  # mongomock's aggregate and count call its own find: count the outer call only


@contextlib.contextmanager
def count_commands():
    count = Count()
    if using_mongomock():
        originals = {}
        for name in _MOCK_OPERATIONS:
            original = getattr(mongomock.collection.Collection, name)
            originals[name] = original

            def wrapper(self, *args, _original=original, **kwargs):
                if count.depth == 0:
                    count.value += 1
                count.depth += 1
                try:
                    return _original(self, *args, **kwargs)
                finally:
                    count.depth -= 1

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
