"""The read-only data interface for the district bureau's systems (/api/v1/).

Authenticated by a token (``Authorization: Bearer <token>``, models.api_tokens) and by
nothing else: a signed-in browser's session is not accepted, so no CSRF token is
needed or checked here. Each token reads what its role may read, in its townships,
with ID numbers masked as a 管理者 sees them. Every call is one audit entry; a token
calling too often is refused (429); a missing, wrong or revoked token gets 401 and
nothing more; any method but GET gets 405.

The endpoints, their filters and their fields are declared once in ENDPOINTS: the
OpenAPI description, the Chinese explanation page and the tests are built from it."""

import datetime as dt
from dataclasses import dataclass, field

from bson import ObjectId
from flask import Blueprint, current_app, flash, jsonify, request
from flask_admin import expose
from werkzeug.exceptions import MethodNotAllowed, NotFound

from models.activities import TARGET_GROUPS, CommunityEvent
from models.api_tokens import MASKED_AS, ApiToken, authenticate, count_call, issue
from models.archives import KIND_KEYS, RISK_LEVELS, SEXES, STATUSES, Archive, age_on
from models.audit import audit_entry
from models.base import WHOLE_RESULT, ref_id
from models.briefs import MonthClose
from models.casework import CASE_TYPES, Case
from models.clock import local_today
from models.contracts import Contract, current_contract
from models.indicators import Indicator, Scope, measure, measure_all
from models.reference import Community, PersonCategory, Township
from models.sensitivity import visible_value
from models.users import User
from models.visits import CONTACT, VISIT_MODES, Visit

from .base import SecureModelView, SecureView

bp = Blueprint("api", __name__, url_prefix="/api/v1")
READ_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Out:
    """One field of an endpoint's rows: its stable name, how it is read, its type and meaning."""

    name: str
    kind: str  # id, text, date, datetime, choice, int, township, community, categories, user, users, people, masked,
    #           kind, age
    source: str | None = None
    description: str = ""
    choices: tuple = ()

    @property
    def schema(self) -> dict:
        types = {"id": "string", "text": "string", "date": "string", "datetime": "string", "choice": "string",
                 "int": "integer", "masked": "string", "kind": "string", "age": "integer", "user": "string"}
        if self.kind in ("township", "community"):
            found = {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}}
        elif self.kind in ("categories", "users"):
            found = {"type": "array", "items": {"type": "string"}}
        elif self.kind == "people":
            found = {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "string"}, "name": {"type": "string"}}}}
        else:
            found = {"type": types[self.kind]}
        if self.kind == "date":
            found["format"] = "date"
        if self.kind == "datetime":
            found["format"] = "date-time"
        if self.choices:
            found["enum"] = [code for code, _ in self.choices]
        found["description"] = self.described
        return found

    @property
    def described(self) -> str:
        if not self.choices:
            return self.description
        return f"{self.description}（" + "，".join(f"{code}={label}" for code, label in self.choices) + "）"


@dataclass(frozen=True)
class RecordEndpoint:
    path: str
    title: str
    document: type
    area: str
    date_field: str
    date_label: str
    fields: list = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return "api." + self.path.strip("/").replace("/", "_").replace("-", "_")


ARCHIVE_KINDS = tuple((key, label) for key, label in (("child", "儿童"), ("elderly", "老年人"),
                                                       ("homeless", "流浪乞讨人员")))
RECORDS = [
    RecordEndpoint("/archives", "档案（一人一档）", Archive, "archives", "archive_date", "建档日期", [
        Out("id", "id", "_id", "档案编号"),
        Out("kind", "kind", "_cls", "档案类型", ARCHIVE_KINDS),
        Out("name", "text", "name", "姓名"),
        Out("sex", "choice", "sex", "性别", SEXES),
        Out("birth_date", "date", "birth_date", "出生日期"),
        Out("age", "age", "birth_date", "年龄（周岁，按今天计）"),
        Out("id_number", "masked", "id_number", "身份证号（遮蔽，如 4503**********1234）"),
        Out("township", "township", "township", "街道/乡镇（区划代码与名称）"),
        Out("community", "community", "community", "社区/村委（区划代码与名称）"),
        Out("categories", "categories", "categories", "对象类别代码"),
        Out("status", "choice", "status", "档案状态", STATUSES),
        Out("risk_level", "choice", "risk_level", "儿童风险等级", RISK_LEVELS),
        Out("capability_level", "text", "capability_level", "老年人能力评估等级"),
        Out("worker", "user", "worker", "责任社工姓名"),
        Out("completeness", "int", "completeness", "档案完整度（%）"),
        Out("archive_date", "date", "archive_date", "建档日期"),
        Out("last_visited_at", "datetime", "last_visited_at", "最近一次计入的入户探访"),
        Out("updated_at", "datetime", "updated_at", "最近修改时间"),
    ]),
    RecordEndpoint("/visits", "探访记录", Visit, "records", "visited_at", "探访时间", [
        Out("id", "id", "_id", "探访记录编号"),
        Out("visited_at", "datetime", "visited_at", "探访时间"),
        Out("township", "township", "township", "街道/乡镇"),
        Out("people", "people", "people", "探访对象（档案编号与姓名）"),
        Out("mode", "choice", "mode", "方式", VISIT_MODES),
        Out("contact", "choice", "contact", "是否见到", CONTACT),
        Out("counts_as_home_visit", "choice", "counts_as_home_visit", "是否计入入户探访", (("yes", "是"), ("no", "否"))),
        Out("visitors", "users", "visitors", "探访社工姓名"),
        Out("photo_count", "int", "photos", "照片张数"),
        Out("updated_at", "datetime", "updated_at", "最近修改时间"),
    ]),
    RecordEndpoint("/services/cases", "个案服务", Case, "records", "opened_on", "接案日期", [
        Out("id", "id", "_id", "个案编号"),
        Out("title", "text", "title", "个案名称"),
        Out("case_type", "choice", "case_type", "个案类型", CASE_TYPES),
        Out("client", "people", "client", "服务对象（档案编号与姓名）"),
        Out("township", "township", "township", "街道/乡镇"),
        Out("worker", "user", "worker", "负责社工姓名"),
        Out("opened_on", "date", "opened_on", "接案日期"),
        Out("closed_on", "date", "closed_on", "结案日期（未结案为 null）"),
        Out("session_count", "int", "session_count", "服务次数"),
        Out("updated_at", "datetime", "updated_at", "最近修改时间"),
    ]),
    RecordEndpoint("/services/events", "社区活动", CommunityEvent, "records", "event_date", "活动日期", [
        Out("id", "id", "_id", "活动编号"),
        Out("title", "text", "title", "活动名称"),
        Out("event_date", "date", "event_date", "活动日期"),
        Out("township", "township", "township", "街道/乡镇"),
        Out("target_group", "choice", "target_group", "服务对象", TARGET_GROUPS),
        Out("people_served", "int", "people_served", "服务人数"),
        Out("photo_count", "int", "photos", "照片张数"),
        Out("updated_at", "datetime", "updated_at", "最近修改时间"),
    ]),
]

#: Query parameters every record endpoint takes.
RECORD_PARAMETERS = [
    ("township", "街道/乡镇的 9 位区划代码；不填为令牌可读的全部街道/乡镇"),
    ("since", "起始日期 YYYY-MM-DD（含），按各接口的日期字段"),
    ("until", "截止日期 YYYY-MM-DD（含）"),
    ("after", "翻页游标：上一页返回的 next_cursor"),
    ("limit", "每页条数，默认且最多为系统设置的上限"),
]
INDICATOR_PARAMETERS = [("contract", "合同编号；不填为当前合同")]
#: Endpoints that are not lists of records: (path, endpoint, title, area).
FIGURES = [
    ("/indicators", "api.indicators", "合同指标：完成值与逐月数据", "indicators"),
    ("/indicators/<code>", "api.indicator", "一项合同指标：完成值、逐月数据、分街道数据", "indicators"),
    ("/month-closes", "api.month_closes", "月度关账：各月冻结的指标数据", "indicators"),
]


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str | None = None):
        super().__init__(error)
        self.status, self.error, self.message = status, error, message


def _json_error(status: int, error: str, message: str | None = None, headers: dict | None = None):
    body = {"error": error}
    if message:
        body["message"] = message
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@bp.before_app_request
def _refuse_other_methods():
    """Any method but GET (and HEAD, OPTIONS) is refused before anything is read or written;
    an unknown address under the interface is answered in JSON too."""
    if not request.path.startswith(bp.url_prefix + "/"):
        return None
    if request.method not in READ_METHODS:
        _audit(authenticate(_bearer()), 405, "只读接口拒绝写入", None)
        return _json_error(405, "method_not_allowed", "本接口只读，只接受 GET 请求。", {"Allow": "GET"})
    if isinstance(request.routing_exception, NotFound | MethodNotAllowed):
        return _json_error(404, "not_found")
    return None


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _audit(token, status: int, detail: str, collection: str | None) -> None:
    actor_name = None if token is not None else "接口:未认证"
    query = request.query_string.decode("utf-8", "replace")[:300]
    audit_entry("api", token, collection=collection, actor_name=actor_name, remote_addr=request.remote_addr,
                detail=f"{request.method} {request.path}{'?' + query if query else ''} → {status}{'，' + detail if detail else ''}"
                ).save(force_insert=True)


def api_call(area: str, collection: str | None):
    """Wrap an endpoint: the token, the rate limit, the role's permission, the audit entry."""

    def wrap(function):
        def call(**kwargs):
            token = authenticate(_bearer())
            if token is None:
                _audit(None, 401, "", collection)
                return _json_error(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
            limit = current_app.config["API_CALLS_PER_MINUTE"]
            if count_call(token) > limit:
                _audit(token, 429, f"超过每分钟 {limit} 次", collection)
                return _json_error(429, "too_many_requests", f"调用过于频繁：每分钟最多 {limit} 次，请稍后重试。",
                                   {"Retry-After": "60"})
            if not token.can(area, "view"):
                _audit(token, 403, "", collection)
                return _json_error(403, "forbidden", "该令牌的角色不能读取此类数据。")
            try:
                body, detail = function(token, **kwargs)
            except ApiError as exc:
                _audit(token, exc.status, exc.error, collection)
                return _json_error(exc.status, exc.error, exc.message)
            _audit(token, 200, detail, collection)
            return jsonify(body)

        call.__name__ = function.__name__
        call.__doc__ = function.__doc__
        return call

    return wrap


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


# ---------------------------------------------------------------- the description


def openapi() -> dict:
    """The OpenAPI 3 description of the interface, from the declarations above."""
    common = [{"name": name, "in": "query", "required": False, "schema": {"type": "string"}, "description": text}
              for name, text in RECORD_PARAMETERS]
    errors = {"401": {"description": "令牌缺失、错误或已撤销（不返回任何细节）"},
              "403": {"description": "令牌的角色不能读取此类数据"},
              "405": {"description": "只接受 GET"},
              "429": {"description": "调用过于频繁（每分钟次数见系统设置），Retry-After 秒后重试"}}
    paths = {}
    for spec in RECORDS:
        row = {"type": "object", "properties": {out.name: out.schema for out in spec.fields}}
        paths[bp.url_prefix + spec.path] = {"get": {
            "summary": spec.title, "operationId": spec.endpoint.split(".", 1)[1],
            "description": f"按编号升序分页；since/until 按“{spec.date_label}”筛选。",
            "parameters": common, "responses": {"200": {"description": "一页记录", "content": {"application/json": {
                "schema": {"type": "object", "properties": {
                    "data": {"type": "array", "items": row}, "count": {"type": "integer"},
                    "next_cursor": {"type": "string", "nullable": True,
                                    "description": "下一页的游标（作为 after 传入）；null 表示没有下一页"}}}}}},
                **errors}}}
    figure_schema = {"type": "object", "properties": {
        "code": {"type": "string"}, "name": {"type": "string"}, "area": {"type": "string"}, "unit": {"type": "string"},
        "target": {"type": "number"}, "achieved": {"type": "number", "description": "完成值（与指标总览页相同）"},
        "expected": {"type": "number", "description": "按进度应完成"},
        "status": {"type": "string", "enum": ["met", "on_track", "lagging", "at_risk"]},
        "status_label": {"type": "string"},
        "series": {"type": "array", "items": {"type": "object", "properties": {
            "month": {"type": "string", "description": "YYYY-MM"}, "value": {"type": "number", "nullable": True}}}}}}
    contract_param = [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}, "description": t}
                      for n, t in INDICATOR_PARAMETERS]
    frozen_schema = {"type": "object", "properties": {
        "month": {"type": "string", "description": "YYYY-MM"}, "closed_at": {"type": "string", "format": "date-time"},
        "closed_by": {"type": "string"}, "figures": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "name": {"type": "string"}, "unit": {"type": "string"},
            "month_value": {"type": "number", "nullable": True, "description": "当月值"},
            "achieved": {"type": "number", "description": "截至该月末的累计完成值"}, "target": {"type": "number"},
            "status": {"type": "string", "enum": ["met", "on_track", "lagging", "at_risk"]}}}}}}
    for path, endpoint, title, _area in FIGURES:
        parameters = list(contract_param)
        if "<code>" in path:
            parameters.append({"name": "code", "in": "path", "required": True, "schema": {"type": "string"},
                               "description": "指标代码"})
        paths[bp.url_prefix + path.replace("<code>", "{code}")] = {"get": {
            "summary": title, "operationId": endpoint.split(".", 1)[1], "parameters": parameters,
            "responses": {"200": {"description": title, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"data": figure_schema if "<code>" in path else {
                    "type": "array", "items": figure_schema if path == "/indicators" else frozen_schema}}}}}},
                **errors}}}
    return {"openapi": "3.0.3",
            "info": {"title": "民政服务站管理系统 数据接口", "version": "1",
                     "description": "只读接口。每次调用须带请求头 Authorization: Bearer <令牌>。身份证号按“管理者”角色遮蔽；"
                                    "敏感内容（存在问题、侵害情况等）不提供。每次调用记入操作日志。"},
            "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
            "security": [{"token": []}], "paths": paths}


@bp.route("/openapi.json", methods=["GET"])
def openapi_json():
    """The description itself holds no data: served without a token."""
    return jsonify(openapi())


#: Words of the protocol the explanation page writes in Latin letters besides the description's names.
PROTOCOL_WORDS = frozenset({"GET", "Authorization", "Bearer", "OpenAPI", "JSON", "null", "Retry-After", "YYYY-MM-DD",
                            "YYYY-MM"})


def guide_words() -> frozenset:
    """The Latin words the explanation page may show: the description's field, parameter and enum
    names, its addresses, and the protocol's words (a test holds the page to them)."""
    words = set(PROTOCOL_WORDS)

    def walk(node):
        if isinstance(node, dict):
            words.update(node.get("properties", {}))
            words.update(str(v) for v in node.get("enum", ()))
            if "in" in node and "name" in node:
                words.add(node["name"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    description = openapi()
    walk(description["paths"])
    words.update(path.strip("/").split("/{")[0] for path in description["paths"])
    words.add(f"{bp.url_prefix.strip('/')}/openapi.json")
    return frozenset(words)


def data_endpoints() -> list[tuple[str, str]]:
    """(address, endpoint) of every endpoint that reads data (for the page and the tests)."""
    return [(bp.url_prefix + spec.path, spec.endpoint) for spec in RECORDS] + [
        (bp.url_prefix + path, endpoint) for path, endpoint, _title, _area in FIGURES]


# ---------------------------------------------------------------- the admin's pages

class ApiTokenView(SecureModelView):
    """Tokens of the data interface: made by the admin (the token is shown once), revoked by voiding."""

    area = "users"
    column_list = ("name", "role", "townships", "token_hint", "last_used_at", "created_at", "note")
    column_labels = {"created_at": "创建时间"}
    column_searchable_list = ("name",)
    column_details_exclude_list = ("version", "token_hash")
    column_export_exclude_list = ("version", "token_hash")
    form_columns = ("name", "role", "townships", "note")
    form_args = {"townships": {"description": "留空表示可读取全区；选择后只能读取所选街道/乡镇的数据。"},
                 "role": {"description": "按该角色的权限读取数据；身份证号一律按“管理者”遮蔽。"}}
    export_types: list = []

    def on_model_change(self, form, model, is_created):
        if is_created:
            self._secret = issue(model)

    def after_model_change(self, form, model, is_created):
        if is_created:
            flash(f"已为“{model.name}”生成令牌：{self._secret}（只显示这一次，请复制后交给对方系统的管理员；"
                  f"遗失请作废后重新生成）", "success")


class ApiGuideView(SecureView):
    """The Chinese page explaining the interface, built from the same declarations as its description."""

    area = "contract"

    @expose("/")
    def index(self):
        return self.render("admin/api_guide.html", records=RECORDS, figures=FIGURES, prefix=bp.url_prefix,
                           record_parameters=RECORD_PARAMETERS, indicator_parameters=INDICATOR_PARAMETERS,
                           limit=current_app.config["API_CALLS_PER_MINUTE"],
                           page_size=current_app.config["API_PAGE_SIZE"])
