"""A database filter evaluated on a record already read, with the database's answer.

A rule written once as a filter (who a visit policy covers, who is due, which visit
counts: models.visits) is asked of the database as it is, and of records in hand
through ``matches``: one truth, never a hand-written mirror. Only the operators those
filters use are supported (tests/test_matching.py holds them to the database's own
answers, on both lanes); anything else is refused loudly rather than answered wrongly."""

import operator
from collections.abc import Callable

_COMPARISONS = {"$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le}


def _values(stored) -> list:
    """A stored value as the candidates a condition is tried on: an array's elements and the array."""
    if isinstance(stored, list):
        return [*stored, stored]
    return [stored]


def _condition_holds(stored, condition) -> bool:
    if not _is_operator(condition):
        if not isinstance(stored, list):
            return stored == condition  # equality (the common case, asked of every record read)
        return any(value == condition for value in _values(stored))  # equality
    for name, wanted in condition.items():
        if name == "$ne":
            if any(value == wanted for value in _values(stored)):
                return False
        elif name == "$in":
            if not (stored in wanted if not isinstance(stored, list) else any(v in wanted for v in _values(stored))):
                return False
        elif name == "$nin":
            if any(value in wanted for value in _values(stored)):
                return False
        elif name in _COMPARISONS:
            compare = _COMPARISONS[name]
            if not any(value is not None and not isinstance(value, list) and _comparable(value, wanted)
                       and compare(value, wanted) for value in _values(stored)):
                return False
        else:
            raise ValueError(f"unsupported query operator {name}")
    return True


def _comparable(value, wanted) -> bool:
    numbers = (int, float)
    if isinstance(wanted, numbers) and not isinstance(wanted, bool):
        return isinstance(value, numbers) and not isinstance(value, bool)
    return type(value) is type(wanted)


def matches(record: dict, query: dict) -> bool:
    """Whether a stored record (as read from the collection) matches ``query``."""
    return matcher(query)(record)


def matcher(query: dict) -> Callable[[dict], bool]:
    """``matches`` with ``query`` read once: the test to ask of many records."""
    tests = []
    for key, condition in query.items():
        if key in ("$or", "$and"):
            branches = [matcher(branch) for branch in condition]
            tests.append((lambda r, bs=branches: any(b(r) for b in bs)) if key == "$or"
                         else (lambda r, bs=branches: all(b(r) for b in bs)))
        elif key.startswith("$"):
            raise ValueError(f"unsupported query operator {key}")
        else:
            _check(condition)
            tests.append(_field_test(key, condition))

    def holds(record) -> bool:
        for test in tests:  # noqa: SIM110 (a loop, not all(): this runs once per record read)
            if not test(record):
                return False
        return True
    return holds


def _field_test(path: str, condition) -> Callable[[dict], bool]:
    if "." in path:
        return lambda record: _condition_holds(_lookup(record, path), condition)
    if not _is_operator(condition):  # equality on a top-level field: the common case, made cheap
        def equal(record) -> bool:
            value = record.get(path)
            return value == condition if not isinstance(value, list) else _condition_holds(value, condition)
        return equal
    if list(condition) == ["$in"]:
        wanted = _lookup_table(condition["$in"])

        def among(record) -> bool:
            value = record.get(path)
            if isinstance(value, list):
                return any(_hashable(v) and v in wanted for v in value)
            return _hashable(value) and value in wanted
        return among
    return lambda record: _condition_holds(record.get(path), condition)


def _lookup_table(values) -> frozenset:
    try:
        return frozenset(values)
    except TypeError:  # an array among the values: not in the subset the filters write
        raise ValueError("unsupported $in of arrays") from None


def _hashable(value) -> bool:
    return not isinstance(value, (list, dict))


def _is_operator(condition) -> bool:
    return isinstance(condition, dict) and bool(condition) and all(key.startswith("$") for key in condition)


def _check(condition) -> None:
    """Refuse, when the query is read, an operator this evaluator does not know."""
    if _is_operator(condition):
        for name in condition:
            if name not in ("$ne", "$in", "$nin", *_COMPARISONS):
                raise ValueError(f"unsupported query operator {name}")


def _lookup(record: dict, path: str):
    if "." not in path:
        return record.get(path)
    value = record
    for part in path.split("."):
        if isinstance(value, list):  # a path into an array's documents: not in the subset
            raise ValueError(f"unsupported path through an array: {path}")
        value = value.get(part) if isinstance(value, dict) else None
    return value
