"""The data interface's endpoints: a page of records for each record endpoint declared
(``RECORDS``), read with one query per kind of name it refers to, and the contract's
indicators as the indicator overview measures them."""

import datetime as dt

from bson import ObjectId
from flask import current_app, request

from models.api_tokens import MASKED_AS, ApiToken
from models.archives import KIND_KEYS, Archive, age_on
from models.base import WHOLE_RESULT, ref_id
from models.briefs import MonthClose
from models.clock import local_today
from models.contracts import Contract, current_contract
from models.indicators import Indicator, Scope, measure, measure_all
from models.reference import Community, PersonCategory, Township
from models.sensitivity import visible_value
from models.users import User

from .calls import ApiError, api_call, bp
from .declarations import RECORDS, Out, RecordEndpoint

# ---------------------------------------------------------------- records


def _date_arg(name: str) -> dt.datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(raw), dt.time())
    except ValueError as exc:
        raise ApiError(400, "bad_request", f"{name} 应为 YYYY-MM-DD 格式的日期。") from exc


def _townships_asked(token: ApiToken) -> list | None:
    """The township ids a call reads: the token's, narrowed to ``?township=<code>``."""
    allowed = token.township_ids()
    code = request.args.get("township")
    if not code:
        return allowed
    township = Township.objects(code=code).only("id").first()
    if township is None:
        raise ApiError(400, "bad_request", "township 应为街道/乡镇的区划代码。")
    return [township.pk] if allowed is None or township.pk in allowed else []


def _limit() -> int:
    most = current_app.config["API_PAGE_SIZE"]
    raw = request.args.get("limit", "")
    if not raw:
        return most
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 6:
        raise ApiError(400, "bad_request", "limit 应为正整数。")
    return min(int(raw), most)


def record_query(spec: RecordEndpoint, token: ApiToken) -> dict:
    query: dict = {"voided": False}
    townships = _townships_asked(token)
    if townships is not None:
        query["township"] = {"$in": townships}
    since, until = _date_arg("since"), _date_arg("until")
    if since or until:
        query[spec.date_field] = {**({"$gte": since} if since else {}),
                                  **({"$lt": until + dt.timedelta(days=1)} if until else {})}
    after = request.args.get("after")
    if after:
        if not ObjectId.is_valid(after):
            raise ApiError(400, "bad_request", "after 应为上一页返回的 next_cursor。")
        query["_id"] = {"$gt": ObjectId(after)}
    return query


class Labels:
    """Names of what a page of rows refers to, read with one query per kind."""

    REFERENCES = frozenset({"township", "community", "categories", "user", "users", "people"})

    def __init__(self, rows: list[dict], spec: RecordEndpoint):
        wanted: dict = {}
        for out in spec.fields:
            if out.kind not in self.REFERENCES:
                continue
            for son in rows:
                value = son.get(out.source)
                values = value if isinstance(value, list) else [value]
                wanted.setdefault(out.kind, set()).update(ref_id(v) for v in values if v is not None)
        self.townships = {t.pk: t for t in Township.objects.only("code", "name")}
        self.communities = {c.pk: c for c in Community.objects(pk__in=list(wanted.get("community", ())))
                            .only("code", "name")} if wanted.get("community") else {}
        self.categories = {c.pk: c.code for c in PersonCategory.objects.only("code")} if wanted.get("categories") else {}
        users = wanted.get("user", set()) | wanted.get("users", set())
        self.users = {u.pk: u.display_name for u in User.objects(pk__in=list(users)).only("display_name")} \
            if users else {}
        people = wanted.get("people", set())
        self.people = {a["_id"]: a.get("name") or "" for a in Archive._get_collection().find(
            {"_id": {"$in": list(people)}}, {"name": 1}, batch_size=WHOLE_RESULT)} if people else {}


def _place(record) -> dict | None:
    return {"code": record.code, "name": record.name} if record is not None else None


def _value(out: Out, son: dict, labels: Labels, spec: RecordEndpoint):
    value = son.get(out.source)
    kind = out.kind
    if kind == "id":
        return str(value)
    if kind == "kind":
        return KIND_KEYS.get((value or "").split(".")[-1])
    if kind == "age":
        return age_on(value, local_today())
    if kind == "masked":
        return visible_value(spec.document._fields.get(out.source), value, MASKED_AS) or None
    if value is None:
        return [] if kind in ("categories", "users", "people") else None
    if kind == "date":
        return value.date().isoformat()
    if kind == "datetime":
        return value.isoformat(timespec="seconds")
    if kind == "township":
        return _place(labels.townships.get(value))
    if kind == "community":
        return _place(labels.communities.get(value))
    if kind == "categories":
        return [labels.categories[v] for v in value if v in labels.categories]
    if kind == "user":
        return labels.users.get(value)
    if kind == "users":
        return [labels.users[v] for v in value if v in labels.users]
    if kind == "people":
        ids = value if isinstance(value, list) else [value]
        return [{"id": str(v), "name": labels.people.get(v, "")} for v in ids]
    if kind == "int" and isinstance(value, list):
        return len(value)
    return value


def record_page(spec: RecordEndpoint, token: ApiToken) -> tuple[dict, str]:
    query, limit = record_query(spec, token), _limit()
    sources = {out.source for out in spec.fields} | {"_cls"}
    projection = {s: 1 for s in sources if s != "photos"} | ({"photos.size": 1} if "photos" in sources else {})
    rows = list(spec.document._get_collection().find(query, projection).sort("_id", 1).limit(limit + 1)
                .batch_size(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    labels = Labels(rows, spec)
    data = [{out.name: _value(out, son, labels, spec) for out in spec.fields} for son in rows]
    cursor = str(rows[-1]["_id"]) if more and rows else None
    return {"data": data, "next_cursor": cursor, "count": len(data)}, f"{len(data)} 条"


def _register(spec: RecordEndpoint):
    def view(token):
        return record_page(spec, token)

    view.__name__ = spec.endpoint.split(".", 1)[1]
    bp.add_url_rule(spec.path, view_func=api_call(spec.area, spec.document._get_collection_name())(view),
                    methods=["GET"])


for _spec in RECORDS:
    _register(_spec)


# ---------------------------------------------------------------- indicators


def _contract() -> Contract:
    wanted = request.args.get("contract", "")
    if wanted:
        contract = Contract.objects(pk=wanted, voided=False).first() if ObjectId.is_valid(wanted) else None
    else:
        contract = current_contract()
    if contract is None:
        raise ApiError(404, "not_found", "没有这个合同。")
    return contract


def figure(m) -> dict:
    """One measured indicator, as the indicator overview shows it."""
    indicator = m.indicator
    return {"code": indicator.code, "name": indicator.name, "area": indicator.area, "unit": m.unit,
            "target": float(m.target), "achieved": float(m.achieved), "expected": float(m.expected),
            "status": m.status, "status_label": m.status_label,
            "series": [{"month": key, "value": None if value is None else float(value)} for key, value in m.series]}


def _number_or_text(value):
    """A township's cell of a breakdown: a number, or the text the page shows (未覆盖)."""
    if value is None or isinstance(value, str):
        return value
    return float(value)


@bp.route("/indicators", methods=["GET"])
@api_call("indicators", "indicators")
def indicators(token):
    contract = _contract()
    measured = measure_all(contract, local_today(), token.township_ids())
    return {"contract": {"id": str(contract.pk), "name": contract.name}, "as_of": local_today().isoformat(),
            "data": [figure(m) for m in measured]}, f"{len(measured)} 项指标"


@bp.route("/indicators/<code>", methods=["GET"])
@api_call("indicators", "indicators")
def indicator(token, code):
    contract = _contract()
    found = Indicator.objects(contract=contract.pk, code=code, voided=False).first()
    if found is None:
        raise ApiError(404, "not_found", "没有这项指标。")
    m = measure(found, Scope(contract, local_today(), token.township_ids()), contract.lagging_share or 0.8)
    body = figure(m) | {"breakdown": [{"township": name, "value": _number_or_text(value)} for name, value in m.breakdown]}
    return {"contract": {"id": str(contract.pk), "name": contract.name}, "as_of": local_today().isoformat(),
            "data": body}, code


@bp.route("/month-closes", methods=["GET"])
@api_call("indicators", "month_closes")
def month_closes(token):
    contract = _contract()
    closes = MonthClose.objects(contract=contract.pk, voided=False).order_by("month")
    data = [{"month": c.month, "closed_at": c.closed_at.isoformat(timespec="seconds") if c.closed_at else None,
             "closed_by": c.closed_by,
             "figures": [{"code": f.code, "name": f.name, "unit": f.unit, "month_value": f.month_value,
                          "achieved": f.achieved, "target": f.target, "status": f.status} for f in c.figures]}
            for c in closes]
    return {"contract": {"id": str(contract.pk), "name": contract.name}, "data": data}, f"{len(data)} 个月"
