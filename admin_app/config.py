"""Settings from the environment, checked at start-up (fail fast).

Modes (``APP_MODE``):
- ``local``: the default. ``MONGODB_URI`` if set, else the local database that
  the run command starts (FerretDB on a private PostgreSQL cluster under ``var/db``).
- ``production``: ``MONGODB_URI`` and ``SECRET_KEY`` are required.
- ``demo``: in-memory database with generated demo data; nothing is kept.
- ``test``: for the test suite (mongomock unless ``MONGODB_URI`` is given).
"""

import os
import secrets
from pathlib import Path

from pymongo.errors import ConfigurationError, InvalidURI
from pymongo.uri_parser import parse_uri

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODES = ("local", "production", "demo", "test")


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"配置项 {name} 应为整数，当前为“{raw}”。") from exc


def _count(env: dict, name: str, default: int) -> int:
    """A whole number of zero or more."""
    value = _int(env, name, default)
    if value < 0:
        raise ConfigError(f"配置项 {name} 不能为负数，当前为“{value}”。")
    return value


def _positive(env: dict, name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ConfigError(f"配置项 {name} 至少为 1，当前为“{value}”。")
    return value


def _workers(env: dict) -> int:
    """One web process per core, up to 4 (the local database needs CPU too)."""
    return _positive(env, "WEB_WORKERS", max(1, min(os.cpu_count() or 1, 4)))


#: Pillow itself refuses to open a picture over about 178 million pixels.
MAX_MEGAPIXELS_ALLOWED = 170


def _megapixels(env: dict) -> int:
    """The largest picture accepted for upload, in pixels (setting in megapixels)."""
    value = _int(env, "MAX_IMAGE_MEGAPIXELS", 40)
    if not 1 <= value <= MAX_MEGAPIXELS_ALLOWED:
        raise ConfigError(f"配置项 MAX_IMAGE_MEGAPIXELS 应在 1 到 {MAX_MEGAPIXELS_ALLOWED} 之间（百万像素），"
                          f"当前为“{value}”。")
    return value * 1_000_000


def _local_secret_key(var_dir: Path) -> str:
    """A secret key kept in var/ so that local sessions survive a restart."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


def check_mongodb_uri(uri: str) -> dict:
    try:
        return parse_uri(uri, warn=True)
    except (InvalidURI, ConfigurationError, ValueError) as exc:
        raise ConfigError(
            f"MONGODB_URI 格式不正确：{uri!r}。示例：mongodb://用户名:密码@主机:27017/minzheng"
        ) from exc


def load_settings(overrides: dict | None = None, environ: dict | None = None) -> dict:
    env = dict(os.environ if environ is None else environ)
    overrides = dict(overrides or {})
    mode = overrides.get("APP_MODE") or env.get("APP_MODE") or "local"
    if mode not in MODES:
        raise ConfigError(f"APP_MODE 只能是 {'、'.join(MODES)} 之一，当前为“{mode}”。")
    var_dir = Path(overrides.get("VAR_DIR") or env.get("VAR_DIR") or PROJECT_ROOT / "var")

    uri = overrides.get("MONGODB_URI", env.get("MONGODB_URI") or None)
    if uri:
        parsed = check_mongodb_uri(uri)
        database = parsed.get("database") or env.get("MONGODB_DB") or "minzheng"
    else:
        database = env.get("MONGODB_DB") or "minzheng"
    if mode == "production" and not uri:
        raise ConfigError("生产模式必须设置 MONGODB_URI（MongoDB 连接串）。")

    secret = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    if not secret:
        if mode == "production":
            raise ConfigError("生产模式必须设置 SECRET_KEY（至少 32 个随机字符）。")
        secret = _local_secret_key(var_dir) if mode == "local" else secrets.token_hex(32)
    if mode == "production" and len(secret) < 32:
        raise ConfigError("SECRET_KEY 太短：至少 32 个随机字符。")

    settings = {
        "APP_MODE": mode,
        "SECRET_KEY": secret,
        "MONGODB_URI": uri,
        "MONGODB_DB": database,
        "LOCALDB_ADDRESS": env.get("LOCALDB_ADDRESS", "127.0.0.1:27018"),
        "VAR_DIR": str(var_dir),
        "DB_TIMEOUT_MS": _int(env, "DB_TIMEOUT_MS", 2000),
        "LOGIN_MAX_FAILURES": _int(env, "LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCK_MINUTES": _int(env, "LOGIN_LOCK_MINUTES", 15),
        "MAX_CONTENT_LENGTH": _int(env, "MAX_UPLOAD_MB", 20) * 1024 * 1024,
        "MAX_IMAGE_PIXELS": _megapixels(env),
        # photos are shrunk in the browser before upload: long side in pixels, JPEG quality (percent)
        "PHOTO_LONG_SIDE": _count(env, "PHOTO_LONG_SIDE", 2000),
        "PHOTO_QUALITY": _count(env, "PHOTO_QUALITY", 85),
        # unsaved form drafts kept in the browser (days); files of a refused save kept on the server (hours)
        "DRAFT_DAYS": _count(env, "DRAFT_DAYS", 7),
        "PENDING_UPLOAD_HOURS": _count(env, "PENDING_UPLOAD_HOURS", 48),
        # field data kept on a worker's phone for offline use: how long it is good for, and how far
        # back a visit makes a person "recently visited" (days)
        "OFFLINE_DATA_DAYS": _positive(env, "OFFLINE_DATA_DAYS", 3),
        "OFFLINE_RECENT_DAYS": _positive(env, "OFFLINE_RECENT_DAYS", 30),
        "DEMO_SIZE": _int(env, "DEMO_SIZE", 300),
        # Web server processes (each runs Python on one core at a time) and threads per process.
        "WEB_WORKERS": _workers(env),
        "WEB_THREADS": _positive(env, "WEB_THREADS", 8),
        # How long a web process uses rule sets and categories it read before reading them again
        # (the process that saves one forgets it at once; the others within this time). With
        # one process (demo, tests) nothing else writes them, so they are kept long.
        "RULES_CACHE_SECONDS": _count(env, "RULES_CACHE_SECONDS", 600 if mode in ("demo", "test") else 2),
        # Derived data of a write left pending (models.derived) is repaired at start-up and then
        # every DERIVED_CHECK_SECONDS by each process (0: only at start-up and after its own
        # failures), for notes older than DERIVED_REPAIR_AGE seconds (younger ones may belong
        # to a write still under way in another process). Tests repair at once.
        "DERIVED_CHECK_SECONDS": _count(env, "DERIVED_CHECK_SECONDS", 0 if mode == "test" else 300),
        "DERIVED_REPAIR_AGE": _count(env, "DERIVED_REPAIR_AGE", 0 if mode == "test" else 30),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted;
        # 0: none, the client's own address is the one recorded.
        "TRUSTED_PROXIES": _count(env, "TRUSTED_PROXIES", 0),
        # Calls one token of the data interface (/api/v1/) may make per minute; more are refused (429).
        "API_CALLS_PER_MINUTE": _positive(env, "API_CALLS_PER_MINUTE", 120),
        # Rows one call of the data interface returns at most (``limit`` asks fewer).
        "API_PAGE_SIZE": _positive(env, "API_PAGE_SIZE", 200),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "0") == "1",
        "SESSION_COOKIE_NAME": "mz_session",
        "PERMANENT_SESSION_LIFETIME": _int(env, "SESSION_HOURS", 12) * 3600,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "FLASK_ADMIN_SWATCH": "cerulean",
        "FLASK_ADMIN_FLUID_LAYOUT": True,
        "TESTING": mode == "test",
        # werkzeug's method for password hashes: scrypt; the test suite's a cheap one (models.users)
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000" if mode == "test" else "scrypt",
    }
    settings.update(overrides)
    if mode != "test" and settings["PASSWORD_HASH_METHOD"] != "scrypt":
        raise ConfigError("只有测试模式可以改变密码的加密方式（其他模式一律使用 scrypt）。")
    return settings
