"""The run command: start the local database when no MONGODB_URI is set, load
reference data, create the first admin, and serve: with gunicorn in ``WEB_WORKERS``
processes of ``WEB_THREADS`` threads each (Python runs one thread at a time per
process, so a second core needs a second process), or with waitress in this one
process when a single worker is configured and for the demo (its database lives in
the process's memory)."""

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path

from mongoengine.connection import disconnect_all
from waitress import serve

from seeds.loader import load_reference_data

from . import check_catalogs, create_app
from .accounts import ensure_first_admin
from .config import ConfigError, load_settings
from .localdb import LocalDatabase, LocalDatabaseError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="运行民政服务站管理系统")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--demo", action="store_true", help="演示模式：内存数据库与演示数据")
    args = parser.parse_args(argv)
    # SIGTERM ends the process through ``finally``, so the local database stops cleanly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    overrides = {"APP_MODE": "demo"} if args.demo else {}
    try:
        settings = load_settings(overrides)
        check_catalogs()
    except ConfigError as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        return 2

    database = None
    if settings["APP_MODE"] in ("local",) and not settings["MONGODB_URI"]:
        var_dir = Path(settings["VAR_DIR"])
        database = LocalDatabase(var_dir / "db", settings["LOCALDB_ADDRESS"], durable=True,
                                 log_path=var_dir / "localdb.log")
        try:
            print(f"正在启动本地数据库（数据目录 {var_dir / 'db'}）…", flush=True)
            database.start()
        except LocalDatabaseError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    server_process = os.getpid()
    try:
        return _serve(args, overrides)
    finally:
        # a web worker is a fork of this process and leaves through here too: only the
        # process that started the local database stops it
        if database is not None and os.getpid() == server_process:
            database.stop()
            print("本地数据库已停止。", flush=True)


def _serve(args, overrides) -> int:
    app = create_app(overrides)
    if app.config["APP_MODE"] != "demo":
        with app.app_context():
            load_reference_data()
            password = ensure_first_admin()
            if password:
                print("=" * 60)
                print(f"已创建首个系统管理员：用户名 admin  密码 {password}")
                print("此密码只显示这一次，请登录后在“我的账户 → 修改密码”中修改。")
                print("=" * 60, flush=True)
    workers = 1 if app.config["APP_MODE"] == "demo" else app.config["WEB_WORKERS"]
    threads = app.config["WEB_THREADS"]
    print(f"民政服务站管理系统已启动：http://{args.host}:{args.port}/  （{workers} 个进程 × {threads} 个线程；"
          "按 Ctrl+C 停止）", flush=True)
    if workers == 1:
        with contextlib.suppress(KeyboardInterrupt):
            serve(app, host=args.host, port=args.port, threads=threads, ident="minzheng")
        return 0
    disconnect_all()  # each worker opens its own connections: a connection pool does not survive a fork
    _run_gunicorn(lambda: create_app(overrides), {
        "bind": f"{args.host}:{args.port}", "workers": workers, "threads": threads, "worker_class": "gthread",
        "timeout": 120, "graceful_timeout": 20, "accesslog": None, "errorlog": "-", "loglevel": "warning",
    })
    return 0


def _run_gunicorn(factory, options: dict) -> None:
    """Serve the app ``factory`` makes in each of gunicorn's worker processes."""
    from gunicorn.app.base import BaseApplication  # POSIX only; only for several workers

    class Application(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return factory()  # in each worker, after the fork

    Application().run()


if __name__ == "__main__":
    sys.exit(main())
