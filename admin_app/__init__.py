"""Application wiring: ``create_app()`` builds the Flask app."""

from flask import Flask, render_template, request
from pymongo.errors import AutoReconnect, ConnectionFailure, ServerSelectionTimeoutError

from .config import ConfigError, load_settings
from .database import connect_database
from .extensions import babel, login_manager

__all__ = ["ConfigError", "create_app"]


def _locale():
    return "zh_Hans_CN"


def _timezone():
    return "Asia/Shanghai"


def create_app(config: dict | None = None) -> Flask:
    """Build the app. ``config`` overrides settings read from the environment."""
    settings = load_settings(config)
    app = Flask(__name__)
    app.config.update(settings)
    app.json.ensure_ascii = False
    if settings["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only what the trusted proxies add is believed: the address they saw, the scheme.
        count = settings["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)

    connect_database(settings)
    from models.files import set_max_image_pixels

    set_max_image_pixels(settings["MAX_IMAGE_PIXELS"])
    from views.i18n import compile_catalogs

    compile_catalogs()
    from models.rules import forget_cached_rules

    forget_cached_rules()
    babel.init_app(app, locale_selector=_locale, timezone_selector=_timezone)
    login_manager.init_app(app)

    from . import auth, cli

    app.register_blueprint(auth.bp)
    cli.register(app)

    from views.registry import build_admin

    build_admin(app)
    _register_error_pages(app)
    app.after_request(_security_headers)

    @app.context_processor
    def _globals():
        return {"app_mode": app.config["APP_MODE"], "site_name": "民政服务站管理系统"}

    if settings["APP_MODE"] == "demo":
        from .demo import prepare_demo

        prepare_demo(app)
    return app


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
    503: ("数据库暂时无法连接", "系统暂时连接不上数据库，您的操作没有保存。请稍后刷新重试；若持续出现，请联系系统管理员检查数据库服务。"),
}


def _error_page(code: int):
    title, message = ERRORS[code]
    return render_template("errors/error.html", code=code, title=title, message=message), code


def _register_error_pages(app: Flask) -> None:
    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, lambda exc, code=code: _error_page(code))

    def database_down(exc):
        app.logger.error("database unreachable on %s: %s", request.path, exc)
        return _error_page(503)

    for exc_class in (ServerSelectionTimeoutError, AutoReconnect, ConnectionFailure):
        app.register_error_handler(exc_class, database_down)
