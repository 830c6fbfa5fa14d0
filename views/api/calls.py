"""How every call of the data interface is answered: the bearer token and nothing else
(a signed-in browser's session is not accepted, so no CSRF token is needed), the rate
limit, the role's permission, one audit entry per call, and errors in JSON (401 with
nothing more, 403, 404, 405 for any method but GET, 429)."""

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from models.api_tokens import authenticate, count_call
from models.audit import audit_entry

bp = Blueprint("api", __name__, url_prefix="/api/v1")
READ_METHODS = ("GET", "HEAD", "OPTIONS")


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
