"""The whole test command: the suite on mongomock with the browser tests, then
the same suite on the local database (FerretDB on a private PostgreSQL cluster)
started on free ports in a temporary folder.

``python -m tests.run_all mongomock`` or ``... ferretdb`` runs one lane; any
further arguments go to pytest."""

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from admin_app.localdb import LocalDatabase, free_port

ROOT = Path(__file__).resolve().parent.parent
LANES = ("mongomock", "ferretdb")


def pytest(*args: str, env: dict | None = None) -> int:
    command = [sys.executable, "-m", "pytest", *args]
    print("$", " ".join(command), flush=True)
    return subprocess.call(command, cwd=ROOT, env=env)


def mongomock_lane(extra: list[str]) -> int:
    print("== 第一轮：mongomock（含浏览器测试）", flush=True)
    return pytest(*extra)


def ferretdb_lane(extra: list[str]) -> int:
    print("== 第二轮：FerretDB（PostgreSQL）", flush=True)
    with tempfile.TemporaryDirectory(prefix="ferretdb-test-") as data_dir:
        database = LocalDatabase(Path(data_dir), f"127.0.0.1:{free_port()}", durable=False,
                                 log_path=Path(data_dir) / "ferretdb.log")
        with database:
            env = dict(os.environ, TEST_MONGODB_URI=database.uri)
            # the browser and LibreOffice tests look at pages, not at the database: once is enough
            return pytest("-m", "not browser and not office", *extra, env=env)


def main(argv: list[str]) -> int:
    # SIGTERM ends the run through ``finally``, so the local database stops with it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    lanes = [argv.pop(0)] if argv and argv[0] in LANES else list(LANES)
    runners = {"mongomock": mongomock_lane, "ferretdb": ferretdb_lane}
    failed = [lane for lane in lanes if runners[lane](argv) != 0]
    if failed:
        print("测试失败的轮次：" + "、".join(failed), flush=True)
        return 1
    print("测试全部通过。", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
