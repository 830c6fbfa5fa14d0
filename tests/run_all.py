"""The whole test command: the suite on mongomock with the browser tests, and
the same suite on the local database (FerretDB on a private PostgreSQL cluster)
started on free ports in a temporary folder. The two lanes run at the same time;
each lane's output is printed when it ends. The local-database lane runs its
test files in two processes (pytest-xdist, a file at a time): each of them
waits on the database about a third of its time, which the other one uses, and
the mongomock lane ends first and leaves its core to them.

``python -m tests.run_all mongomock`` or ``... ferretdb`` runs one lane; any
further arguments go to pytest."""

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from admin_app.localdb import LocalDatabase, free_port
from views.i18n import compile_catalogs

ROOT = Path(__file__).resolve().parent.parent
LANES = ("mongomock", "ferretdb")


#: The slowest tests each lane names at its end: where the run's time goes.
SLOWEST = "--durations=20"


def pytest(*args: str, env: dict | None = None, output=None) -> subprocess.Popen:
    command = [sys.executable, "-m", "pytest", SLOWEST, *args]
    print("$", " ".join(command), flush=True)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT if output else None)


def mongomock_lane(extra: list[str], output=None) -> subprocess.Popen:
    return pytest(*extra, output=output)


#: Processes of the local-database lane (each test's database has a name of its own).
FERRETDB_PROCESSES = 2


def ferretdb_lane(extra: list[str], database: LocalDatabase, output=None) -> subprocess.Popen:
    env = dict(os.environ, TEST_MONGODB_URI=database.uri)
    # the browser and LibreOffice tests look at pages, not at the database: once is enough
    return pytest("-m", "not browser and not office", "-n", str(FERRETDB_PROCESSES), "--dist", "loadfile",
                  *extra, env=env, output=output)


TITLES = {"mongomock": "== 第一轮：mongomock（含浏览器测试）", "ferretdb": "== 第二轮：FerretDB（PostgreSQL）"}


def main(argv: list[str]) -> int:
    # SIGTERM ends the run through ``finally``, so the local database and the lanes stop with it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    lanes = [argv.pop(0)] if argv and argv[0] in LANES else list(LANES)
    compile_catalogs()  # the build step (make catalogs), once before the lanes start
    together = len(lanes) > 1
    with tempfile.TemporaryDirectory(prefix="ferretdb-test-") as data_dir, \
            tempfile.TemporaryDirectory(prefix="test-lanes-") as logs:
        folder = Path(logs)
        database = LocalDatabase(Path(data_dir), f"127.0.0.1:{free_port()}", durable=False,
                                 log_path=Path(data_dir) / "ferretdb.log") if "ferretdb" in lanes else None
        if database is not None:
            database.start()
        running = {}
        try:
            for lane in lanes:
                output = open(folder / f"{lane}.log", "wb") if together else None  # noqa: SIM115
                if not together:
                    print(TITLES[lane], flush=True)
                running[lane] = (mongomock_lane(argv, output) if lane == "mongomock"
                                 else ferretdb_lane(argv, database, output)), output
            codes = {}
            for lane, (process, output) in running.items():
                codes[lane] = process.wait()
                if output is not None:
                    output.close()
                    print(TITLES[lane], flush=True)
                    sys.stdout.buffer.write((folder / f"{lane}.log").read_bytes())
                    sys.stdout.flush()
        finally:
            for process, _output in running.values():
                if process.poll() is None:
                    process.terminate()
                    process.wait()
            if database is not None:
                database.stop()
    failed = [lane for lane in lanes if codes.get(lane) != 0]
    if failed:
        print("测试失败的轮次：" + "、".join(failed), flush=True)
        return 1
    print("测试全部通过。", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
