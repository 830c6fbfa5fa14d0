"""The OpenAPI 3 description of the data interface, built from its declarations, and
the Latin words the Chinese explanation page may show."""

from flask import jsonify

from .calls import bp
from .declarations import FIGURES, INDICATOR_PARAMETERS, RECORD_PARAMETERS, RECORDS


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
