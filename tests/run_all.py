"""The whole test command: the suite on mongomock with the browser tests, then
the same suite on a FerretDB started on a free port in a temporary folder."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from admin_app.localdb import LocalDatabase, free_port

ROOT = Path(__file__).resolve().parent.parent


def pytest(*args: str, env: dict | None = None) -> int:
    command = [sys.executable, "-m", "pytest", *args]
    print("$", " ".join(command), flush=True)
    return subprocess.call(command, cwd=ROOT, env=env)


def main() -> int:
    print("== 第一轮：mongomock（含浏览器测试）", flush=True)
    first = pytest()
    print("== 第二轮：FerretDB（SQLite）", flush=True)
    with tempfile.TemporaryDirectory(prefix="ferretdb-test-") as data_dir:
        database = LocalDatabase(Path(data_dir), f"127.0.0.1:{free_port()}", sync="off",
                                 log_path=Path(data_dir) / "ferretdb.log")
        with database:
            env = dict(os.environ, TEST_MONGODB_URI=database.uri)
            second = pytest("-m", "not browser", env=env)
    failed = [name for name, code in (("mongomock", first), ("FerretDB", second)) if code != 0]
    if failed:
        print("测试失败的轮次：" + "、".join(failed), flush=True)
        return 1
    print("两轮测试全部通过。", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
