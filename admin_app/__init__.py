"""Application wiring: ``create_app()`` builds the Flask app."""

import time

from bson.errors import InvalidId
from flask import Flask, current_app, flash, g, redirect, render_template, request
from flask_login import current_user
from mongoengine.errors import ValidationError
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)
from werkzeug.middleware.proxy_fix import ProxyFix

from models.derived import repair_quietly, repair_wanted
from models.errors import DomainError, PermissionDenied
from models.files import set_max_image_pixels
from models.recompute_jobs import resume_jobs, retry_wanted, unfinished_note
from models.rules import forget_cached_rules, set_cache_seconds
from models.users import use_password_method
from views.drafts import draft_owner, saved_forms
from views.i18n import stale_catalogs, use_project_admin_catalog
from views.registry import build_admin

from . import auth, cli
from .config import ConfigError, load_settings
from .database import command_counter, connect_database
from .demo import prepare_demo
from .extensions import babel, login_manager
from .requests import CleanRequest

__all__ = ["ConfigError", "create_app"]


def _locale():
    return "zh_Hans_CN"


def _timezone():
    return "Asia/Shanghai"


def create_app(config: dict | None = None) -> Flask:
    """Build the app. ``config`` overrides settings read from the environment."""
    settings = load_settings(config)
    app = Flask(__name__)
    app.request_class = CleanRequest
    app.config.update(settings)
    app.extensions["settings"] = settings
    app.json.ensure_ascii = False
    if settings["TRUSTED_PROXIES"]:
        # Only what the trusted proxies add is believed: the address they saw, the scheme.
        count = settings["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)

    use_password_method(settings["PASSWORD_HASH_METHOD"])
    check_catalogs()
    use_project_admin_catalog()
    activate(app)
    babel.init_app(app, locale_selector=_locale, timezone_selector=_timezone)
    login_manager.init_app(app)

    app.register_blueprint(auth.bp)
    cli.register(app)

    build_admin(app)
    _keep_derived_data(app)
    _register_error_pages(app)
    app.after_request(_security_headers)

    @app.context_processor
    def _globals():
        return {"app_mode": app.config["APP_MODE"], "site_name": "民政服务站管理系统",
                "draft_owner": draft_owner, "saved_forms": saved_forms}

    if settings["APP_MODE"] == "demo":
        prepare_demo(app)
    return app


def check_catalogs() -> None:
    """Fail fast when the compiled message catalogs are missing or out of date
    (they are compiled at build time, never by the running app)."""
    stale = stale_catalogs()
    if stale:
        raise ConfigError("界面翻译文件未编译或已过期（" + "、".join(p.name for p in stale)
                          + "）：请先运行 make catalogs（make run、make test 会自动运行）。")


_active: dict | None = None


def activate(app: Flask) -> None:
    """Make ``app``'s settings the process's own: its database connection, the
    image size limit and the rule caches (emptied). ``create_app`` does it; a
    process that keeps several apps (the tests) does it to go back to one."""
    global _active
    settings = app.extensions["settings"]
    connect_database(settings)
    set_max_image_pixels(settings["MAX_IMAGE_PIXELS"])
    set_cache_seconds(settings["RULES_CACHE_SECONDS"])
    forget_cached_rules()
    _active = settings


def is_active(app: Flask) -> bool:
    return _active is app.extensions.get("settings")


SECURITY_HEADERS = {
    # no other site may show the app's pages in a frame (clickjacking)
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "frame-ancestors 'self'",
    # a browser takes each response as the type it is served as, never guesses another
    "X-Content-Type-Options": "nosniff",
}


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


ERRORS = {
    400: ("请求无效", "提交的内容无法处理，请返回上一页重试。"),
    403: ("没有权限", "您的账户没有访问此页面的权限。如需开通，请联系系统管理员。"),
    404: ("页面不存在", "您访问的页面或记录不存在，或不在您的负责范围内。"),
    405: ("请求方式不允许", "请从页面上的按钮或链接进入。"),
    413: ("文件过大", "上传的文件超过了大小限制，请压缩或拆分后再上传。"),
    500: ("系统错误", "系统处理时出错，已记录。请稍后重试，若仍有问题请联系系统管理员。"),
}

#: The database is down: what the user is told, by whether the request may have changed data.
UNAVAILABLE = "数据库暂时无法连接"
UNAVAILABLE_MESSAGES = {
    "read": "系统暂时连接不上数据库，页面无法打开。请稍后刷新重试。",
    "not_saved": "系统暂时连接不上数据库，您的操作没有保存。请稍后重新提交。",
    "maybe_saved": "数据库连接中断，您的操作可能已保存，请刷新页面核对后再决定是否重新提交。",
}
UNAVAILABLE_ADVICE = "若持续出现，请联系系统管理员检查数据库服务。"
READ_METHODS = ("GET", "HEAD", "OPTIONS")


def _error_page(code: int):
    title, message = ERRORS[code]
    return render_template("errors/error.html", code=code, title=title, message=message), code


def _outcome() -> str:
    """What a request cut off by a database outage did: only read, certainly
    saved nothing (it had sent no write command), or may have saved something."""
    if request.method in READ_METHODS:
        return "read"
    sent_before = g.get("writes_sent_before")
    if command_counter.watching and sent_before is not None and command_counter.writes == sent_before:
        return "not_saved"
    return "maybe_saved"


def _unavailable_page(app: Flask):
    """The Chinese 503 page, made without the database: the request's user is
    taken as anonymous (no second look-up of the account, which would wait for
    the database again), and the template is rendered without the context
    processors that would look the user up."""
    g._login_user = login_manager.anonymous_user()
    outcome = _outcome()
    template = app.jinja_env.get_template("errors/unavailable.html")
    page = template.render(title=UNAVAILABLE, message=UNAVAILABLE_MESSAGES[outcome], advice=UNAVAILABLE_ADVICE,
                           reload=outcome == "read",  # reloading a post would send it again
                           site_name="民政服务站管理系统", app_mode=app.config["APP_MODE"])
    return page, 503, {"Retry-After": "30"}


def _refused_page(exc: DomainError):
    """A rule refused the request outside a form that could show it (a page
    reached with a forged value): its message on the error page."""
    code = 403 if isinstance(exc, PermissionDenied) else 400
    title = ERRORS[code][0]
    return render_template("errors/error.html", code=code, title=title, message=exc.message), code


#: A form sent with more than the upload limit: said inside the form, whose typed text the browser kept.
TOO_LARGE_IN_FORM = ("提交的照片或文件合计超过 {limit}，没有上传，本次未保存。您填写的内容已保留，"
                     "请重新选择照片（系统会自动压缩）或换成较小的文件后再保存。")


def _size_label(size: int) -> str:
    """A size as people say it: 20 MB, 64 KB."""
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.0f} MB" if megabytes >= 1 else f"{max(1, size // 1024)} KB"


def _too_large(exc):
    """A form that sent too much goes back to itself with the message (its draft is
    restored there by the browser); anything else gets the error page."""
    if request.method == "POST" and current_user.is_authenticated and not request.path.startswith("/login"):
        flash(TOO_LARGE_IN_FORM.format(limit=_size_label(current_app.config["MAX_CONTENT_LENGTH"])), "error")
        return redirect(request.full_path, code=303)
    return _error_page(413)


def _keep_derived_data(app: Flask) -> None:
    """Derived data left pending by a write that failed or stopped half-way is repaired
    without a person, and a rule-set recomputation left failed or stopped is run again: at
    start-up, on the next request after a failure in this process, and every
    DERIVED_CHECK_SECONDS (models.derived, models.recompute_jobs)."""
    age, every = app.config["DERIVED_REPAIR_AGE"], app.config["DERIVED_CHECK_SECONDS"]
    repair_quietly(age)
    last = [time.monotonic()]

    _resume_quietly(app)

    @app.before_request
    def _repair_derived():
        if repair_wanted() or retry_wanted() or (every and time.monotonic() - last[0] > every):
            last[0] = time.monotonic()
            repair_quietly(age)
            _resume_quietly(app)

    @app.context_processor
    def _recompute_note():
        return {"recompute_note": unfinished_note}


def _resume_quietly(app: Flask) -> None:
    """Rule-set recomputations left failed or stopped run again (models.recompute_jobs)."""
    try:
        resume_jobs()
    except PyMongoError:
        app.logger.exception("规则修改后的重新计算未能恢复，稍后再试")


def _register_error_pages(app: Flask) -> None:
    for code in (400, 403, 404, 405, 500):
        app.register_error_handler(code, lambda exc, code=code: _error_page(code))
    app.register_error_handler(413, _too_large)

    @app.before_request
    def _note_writes_sent():
        g.writes_sent_before = command_counter.writes

    def database_down(exc):
        app.logger.error("database unreachable on %s %s: %s", request.method, request.path, exc)
        return _unavailable_page(app)

    def refused(exc):
        app.logger.info("refused on %s %s: %s", request.method, request.path, exc.message)
        return _refused_page(exc)

    def not_an_id(exc):
        # an id or value in the address or the form that cannot name a record
        app.logger.info("bad id or value on %s %s: %s", request.method, request.path, exc)
        return _error_page(404)

    app.register_error_handler(DomainError, refused)
    app.register_error_handler(InvalidId, not_an_id)
    app.register_error_handler(ValidationError, not_an_id)

    for exc_class in (ServerSelectionTimeoutError, AutoReconnect, ConnectionFailure):
        app.register_error_handler(exc_class, database_down)
