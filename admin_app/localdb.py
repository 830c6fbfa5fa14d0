"""Start and stop the local database: the project's FerretDB-on-SQLite program
(tools/localdb), built with Go into build/. Used by the run command and tests."""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from .config import PROJECT_ROOT

SOURCE_DIR = PROJECT_ROOT / "tools" / "localdb"
BINARY = PROJECT_ROOT / "build" / ("localdb.exe" if os.name == "nt" else "localdb")
NO_GO = ("未找到 Go 工具链，无法构建本地数据库（FerretDB）。请安装 Go 1.24 或更高版本，"
         "或设置 MONGODB_URI 指向一个 MongoDB 服务器后再运行。")


class LocalDatabaseError(RuntimeError):
    pass


def build(force: bool = False) -> Path:
    """Build the local database program if it is missing or older than its source."""
    sources = list(SOURCE_DIR.glob("*.go")) + [SOURCE_DIR / "go.mod", SOURCE_DIR / "go.sum"]
    newest = max(p.stat().st_mtime for p in sources)
    if BINARY.exists() and not force and BINARY.stat().st_mtime >= newest:
        return BINARY
    go = shutil.which("go")
    if go is None:
        raise LocalDatabaseError(NO_GO)
    BINARY.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([go, "build", "-o", str(BINARY), "."], cwd=SOURCE_DIR,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise LocalDatabaseError("构建本地数据库失败：\n" + result.stderr[-2000:])
    return BINARY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers_ping(address: str) -> bool:
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    client = MongoClient(f"mongodb://{address}/", serverSelectionTimeoutMS=500, connectTimeoutMS=500)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


class LocalDatabase:
    """A running FerretDB process; use as a context manager."""

    def __init__(self, data_dir: Path, address: str, sync: str = "full", log_path: Path | None = None):
        self.data_dir = Path(data_dir)
        self.address = address
        self.sync = sync
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://{self.address}/"

    def start(self, timeout: float = 60) -> "LocalDatabase":
        binary = build()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if _answers_ping(self.address):
            raise LocalDatabaseError(f"端口 {self.address} 已被其他数据库占用，请设置 LOCALDB_ADDRESS 换一个端口。")
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(binary), "-dir", str(self.data_dir), "-listen", self.address, "-sync", self.sync, "-quiet"],
            stdout=log, stderr=log,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalDatabaseError(f"本地数据库启动失败（退出码 {self.process.returncode}），请查看日志 {self.log_path}。")
            if _answers_ping(self.address):
                return self
            time.sleep(0.2)
        self.stop()
        raise LocalDatabaseError("本地数据库在规定时间内没有响应。")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM if os.name != "nt" else signal.CTRL_BREAK_EVENT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
