"""The run command: start the local database when no MONGODB_URI is set, load
reference data, create the first admin, and serve with waitress."""

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path

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
    try:
        return _serve(args, overrides)
    finally:
        if database is not None:
            database.stop()
            print("本地数据库已停止。", flush=True)


def _serve(args, overrides) -> int:
    from waitress import serve

    from . import create_app
    from .accounts import ensure_first_admin

    app = create_app(overrides)
    if app.config["APP_MODE"] != "demo":
        with app.app_context():
            from seeds.loader import load_reference_data

            load_reference_data()
            password = ensure_first_admin()
            if password:
                print("=" * 60)
                print(f"已创建首个系统管理员：用户名 admin  密码 {password}")
                print("此密码只显示这一次，请登录后在“我的账户 → 修改密码”中修改。")
                print("=" * 60, flush=True)
    print(f"民政服务站管理系统已启动：http://{args.host}:{args.port}/  （按 Ctrl+C 停止）", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        serve(app, host=args.host, port=args.port, threads=8, ident="minzheng")
    return 0


if __name__ == "__main__":
    sys.exit(main())
