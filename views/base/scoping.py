"""What the current user may see and ask for: their townships, the records in
them, their role, the year a page is asked for, a search term's conditions, and
the audit entry written in their name."""

import re

from flask import abort, request
from flask_login import current_user

from models.audit import write_audit
from models.base import placed_townships
from models.clock import local_today
from models.inputs import TEXT as INPUT_TEXT
from models.inputs import input_kind, normalise
from models.sensitivity import search_condition


def user_townships():
    """Township ids the current user is limited to, or None for all."""
    if not current_user.is_authenticated:
        return []
    return current_user.township_ids()


def scope_query(query, model):
    """Limit a queryset to the current user's townships, if the model is scoped."""
    field = getattr(model, "scope_field", None)
    townships = user_townships()
    if field and townships is not None:
        query = query.filter(**{f"{field}__in": townships})
    return query


def in_scope(record) -> bool:
    """Whether the current user may see ``record`` (the check ``scope_query`` makes, on one record)."""
    townships = user_townships()
    if not getattr(type(record), "scope_field", None) or townships is None:
        return True
    return any(township in townships for township in placed_townships(record))


def choosable(model):
    """The records of ``model`` a user may pick: in scope and not voided."""
    query = scope_query(model.objects, model)
    if "voided" in model._fields:
        query = query.filter(voided=False)
    return query


def sort_keys(order) -> list[str]:
    """``order_by`` keys for ``(column, descending)`` pairs, ending with the record id
    in the last column's direction: rows that tie (the same day, the same second)
    keep one order, so a page neither repeats nor skips a record of the one before."""
    keys = [f"{'-' if descending else ''}{column}" for column, descending in order]
    if not any(column in ("id", "_id", "pk") for column, _ in order):
        keys.append(f"{'-' if order[-1][1] else ''}id")
    return keys


def portable_regex(term: str) -> dict:
    """A case-insensitive 'contains' condition that every backend accepts
    (no compiled pattern: pymongo would send the ``u`` flag FerretDB rejects)."""
    return {"$regex": re.escape(term), "$options": "i"}


def current_role() -> str | None:
    return current_user.role if current_user.is_authenticated else None


#: A condition no record meets (a search the user may not make on any field).
NOTHING = {"_id": None}


def search_conditions_for(fields, term: str) -> list[dict]:
    """The conditions a search term makes on ``fields`` for the current user
    (models.sensitivity: no partial ID numbers for roles that see them masked)."""
    role = current_role()
    conditions = (search_condition(f, normalise(input_kind(f) or INPUT_TEXT, term), role) for f in fields)
    return [c for c in conditions if c is not None]


def remote_addr() -> str | None:
    """The client's address. Behind a trusted proxy (setting TRUSTED_PROXIES) ProxyFix has
    already put the address the proxy saw here; a header sent by anyone else is ignored."""
    return request.remote_addr


def year_arg(optional: bool = False) -> int | None:
    """The ``year`` a page is asked for in its address: this year when none is (None,
    for every year, where the page is ``optional`` about it); a value that is not a
    year from 2000 to 2100 names no page (404)."""
    raw = request.args.get("year")
    if not raw:
        return None if optional else local_today().year
    if not re.fullmatch(r"[0-9]{4}", raw) or not 2000 <= int(raw) <= 2100:
        abort(404)
    return int(raw)


def audit(action_name: str, **kwargs):
    """Write an audit entry for the current user and request."""
    actor = current_user if current_user.is_authenticated else None
    return write_audit(action_name, actor, remote_addr=remote_addr(), **kwargs)
