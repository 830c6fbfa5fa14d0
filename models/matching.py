"""A database filter evaluated on a record already read, with the database's answer.

A rule written once as a filter (who a visit policy covers, who is due, which visit
counts: models.visits) is asked of the database as it is, and of records in hand
through ``matches``: one truth, never a hand-written mirror. Only the operators those
filters use are supported (tests/test_matching.py holds them to the database's own
answers, on both lanes); anything else is refused loudly rather than answered wrongly."""

import operator

_COMPARISONS = {"$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le}


def _values(stored) -> list:
    """A stored value as the candidates a condition is tried on: an array's elements and the array."""
    if isinstance(stored, list):
        return [*stored, stored]
    return [stored]


def _condition_holds(stored, condition) -> bool:
    if not (isinstance(condition, dict) and condition and all(key.startswith("$") for key in condition)):
        return any(value == condition for value in _values(stored))  # equality
    for name, wanted in condition.items():
        if name == "$ne":
            if any(value == wanted for value in _values(stored)):
                return False
        elif name == "$in":
            if not any(value in wanted for value in _values(stored)):
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
    for key, condition in query.items():
        if key == "$or":
            if not any(matches(record, branch) for branch in condition):
                return False
            continue
        if key == "$and":
            if not all(matches(record, branch) for branch in condition):
                return False
            continue
        if key.startswith("$"):
            raise ValueError(f"unsupported query operator {key}")
        if not _condition_holds(_lookup(record, key), condition):
            return False
    return True


def _lookup(record: dict, path: str):
    value = record
    for part in path.split("."):
        if isinstance(value, list):  # a path into an array's documents: not in the subset
            raise ValueError(f"unsupported path through an array: {path}")
        value = value.get(part) if isinstance(value, dict) else None
    return value
