"""Start and stop the local database: a private PostgreSQL cluster (Debian's
``postgresql`` package) and, in front of it, the project's FerretDB program
(tools/localdb, built with Go into build/), which lets one write command through
at a time and gives every declared index a GIN twin that serves FerretDB's
equality filters. Used by the run command, the test command and the benchmark."""

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from .config import PROJECT_ROOT

SOURCE_DIR = PROJECT_ROOT / "tools" / "localdb"
BINARY = PROJECT_ROOT / "build" / ("localdb.exe" if os.name == "nt" else "localdb")
NO_GO = ("未找到 Go 工具链，无法构建本地数据库（FerretDB）。请安装 Go 1.24 或更高版本，"
         "或设置 MONGODB_URI 指向一个 MongoDB 服务器后再运行。")
NO_POSTGRESQL = ("未找到 PostgreSQL：请安装 Debian 软件包 postgresql（apt-get install postgresql），"
                 "或设置 MONGODB_URI 指向一个 MongoDB 服务器后再运行。")
# The cluster's superuser; FerretDB signs in as it over loopback with a password
# made when the cluster is created.
DB_ROLE = "minzheng"
# initdb and postgres refuse to run as root: as root, the cluster runs as this
# system user (the one Debian's postgresql package creates).
SYSTEM_USER = "postgres"


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
    client = MongoClient(f"mongodb://{address}/", serverSelectionTimeoutMS=500, connectTimeoutMS=500)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def postgresql_bin_dir(install: bool = True) -> Path:
    """The newest installed PostgreSQL server's bin folder; installs Debian's
    package first when it is missing and this process may (root with apt-get)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if candidates:
        return Path(candidates[-1]).parent
    on_path = shutil.which("postgres")
    if on_path:
        return Path(on_path).resolve().parent
    if install and os.name != "nt" and os.geteuid() == 0 and shutil.which("apt-get"):
        print("未找到 PostgreSQL，正在安装 Debian 软件包 postgresql…", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        done = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
                              env=env, check=False)
        if done.returncode == 0:
            return postgresql_bin_dir(install=False)
    raise LocalDatabaseError(NO_POSTGRESQL)


class PostgresCluster:
    """A private PostgreSQL cluster in ``data_dir``, listening on 127.0.0.1 only.

    ``durable`` keeps PostgreSQL's crash safety (fsync, synchronous commit); the
    test suite and the benchmark's throw-away data run without it."""

    def __init__(self, data_dir: Path, port: int, durable: bool = True, log_path: Path | None = None):
        self.data_dir = Path(data_dir)
        self.port = port
        self.durable = durable
        self.log_path = log_path
        self.password_file = self.data_dir.parent / (self.data_dir.name + ".password")
        self.process: subprocess.Popen | None = None
        self.bin_dir: Path | None = None

    @property
    def url(self) -> str:
        password = self.password_file.read_text(encoding="ascii").strip()
        return f"postgres://{DB_ROLE}:{password}@127.0.0.1:{self.port}/postgres"

    def _as_owner(self) -> dict:
        """Popen arguments that run a server program as the cluster's owner."""
        if os.name == "nt" or os.geteuid() != 0:
            return {}
        try:
            user = pwd.getpwnam(SYSTEM_USER)
        except KeyError as exc:
            raise LocalDatabaseError(f"以 root 运行时需要系统用户 {SYSTEM_USER}（随 postgresql 软件包创建）。") from exc
        return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": [],
                "env": dict(os.environ, HOME=user.pw_dir)}

    def check_reachable(self) -> None:
        """As root, the cluster's owner must be able to walk to its folder."""
        if os.name == "nt" or os.geteuid() != 0:
            return
        user = pwd.getpwnam(SYSTEM_USER)
        for folder in [*reversed(self.data_dir.parent.resolve().parents), self.data_dir.parent.resolve()]:
            info = folder.stat()
            if info.st_uid == user.pw_uid or info.st_mode & 0o001 or (info.st_gid == user.pw_gid and info.st_mode & 0o010):
                continue
            raise LocalDatabaseError(f"系统用户 {SYSTEM_USER} 无法进入目录 {folder}，本地数据库无法放在其下："
                                     f"请设置 VAR_DIR 指向其他目录（例如 /var/lib/minzheng），或设置 MONGODB_URI。")

    def _give_to_owner(self, path: Path) -> None:
        if os.name != "nt" and os.geteuid() == 0:
            user = pwd.getpwnam(SYSTEM_USER)
            os.chown(path, user.pw_uid, user.pw_gid)

    def initialise(self) -> None:
        """Create the cluster once (initdb), with a random password for its role.
        Text sorts byte by byte (collation C), as MongoDB compares strings; letters
        keep their Unicode case rules (ctype C.UTF-8) for case-insensitive search."""
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if any(self.data_dir.iterdir()):
            raise LocalDatabaseError(f"数据目录 {self.data_dir} 不是空的，也不是 PostgreSQL 数据目录。")
        os.chmod(self.data_dir, 0o700)
        self._give_to_owner(self.data_dir)
        password = secrets.token_urlsafe(24)
        self.password_file.write_text(password + "\n", encoding="ascii")
        os.chmod(self.password_file, 0o600)
        pwfile = self.data_dir.parent / (self.data_dir.name + ".initpw")
        pwfile.write_text(password + "\n", encoding="ascii")
        os.chmod(pwfile, 0o600)
        self._give_to_owner(pwfile)
        try:
            result = subprocess.run(
                [str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", DB_ROLE, f"--pwfile={pwfile}",
                 "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8",
                 "--locale=C.UTF-8", "--lc-collate=C", "--no-instructions"],
                capture_output=True, text=True, **self._as_owner())
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise LocalDatabaseError("创建本地数据库（PostgreSQL）失败：\n" + (result.stderr or result.stdout)[-2000:])

    def settings(self) -> list[str]:
        options = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": "",
            # FerretDB sends each filter's field name as a parameter: only a custom
            # plan sees it and can use the GIN twin on that field.
            "plan_cache_mode": "force_custom_plan",
            "synchronous_commit": "on" if self.durable else "off",
            "fsync": "on" if self.durable else "off",
            "full_page_writes": "on" if self.durable else "off",
            "logging_collector": "off",
            # larger documents are compressed with lz4, which reads back several times faster
            "default_toast_compression": "lz4",
        }
        return [part for key, value in options.items() for part in ("-c", f"{key}={value}")]

    def _stop_stale(self) -> None:
        """A server left running by a process that died holds the data folder: stop it."""
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return
        with contextlib.suppress(ValueError, OSError):
            pid = int(pid_file.read_text().split()[0])
            if b"postgres" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                return
            for stop_signal in (signal.SIGINT, signal.SIGQUIT):  # fast, then immediate shutdown
                os.kill(pid, stop_signal)
                for _ in range(150):
                    os.kill(pid, 0)
                    time.sleep(0.1)

    def start(self, timeout: float = 60) -> "PostgresCluster":
        self.bin_dir = postgresql_bin_dir()
        self.check_reachable()
        self.initialise()
        self._stop_stale()
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        owner = self._as_owner()
        # A session of its own: Ctrl+C reaches the run command, which stops FerretDB first.
        self.process = subprocess.Popen([str(self.bin_dir / "postgres"), "-D", str(self.data_dir), *self.settings()],
                                        stdout=log, stderr=log, start_new_session=True, **owner)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalDatabaseError(
                    f"本地数据库（PostgreSQL）启动失败（退出码 {self.process.returncode}），请查看日志 {self.log_path}。")
            ready = subprocess.run([str(self.bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                                   check=False)
            if ready.returncode == 0:
                return self
            time.sleep(0.2)
        self.stop()
        raise LocalDatabaseError("本地数据库（PostgreSQL）在规定时间内没有就绪。")

    def vacuum(self) -> None:
        """VACUUM (ANALYZE) every table now, as autovacuum does within a minute or so on a server
        that keeps running: a benchmark that deletes thousands of rows and measures at once
        would otherwise read past them."""
        subprocess.run([str(self.bin_dir / "psql"), "-q", "-c", "VACUUM (ANALYZE)", self.url], check=True,
                       stdout=subprocess.DEVNULL, env=dict(os.environ, PGCONNECT_TIMEOUT="10"), timeout=600)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown: roll back open work, checkpoint
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class LocalDatabase:
    """The local database: the PostgreSQL cluster in ``data_dir/pg`` and FerretDB
    in front of it on ``address``; use as a context manager."""

    def __init__(self, data_dir: Path, address: str, durable: bool = True, log_path: Path | None = None):
        self.data_dir = Path(data_dir)
        self.address = address
        self.log_path = log_path
        self.cluster = PostgresCluster(self.data_dir / "pg", free_port(), durable=durable,
                                       log_path=self.data_dir / "postgresql.log")
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://{self.address}/"

    def _prepare_folder(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.name != "nt" and os.geteuid() == 0:
            # The cluster's owner must be able to reach its folder and write its log.
            os.chmod(self.data_dir, 0o755)
            log = self.cluster.log_path
            log.touch(exist_ok=True)
            self.cluster._give_to_owner(log)
        if any(self.data_dir.glob("*.sqlite")):
            print(f"提示：{self.data_dir} 中有旧版本（SQLite）的数据文件，新版本的本地数据库不再读取它们。", flush=True)

    def start(self, timeout: float = 60) -> "LocalDatabase":
        binary = build()
        if _answers_ping(self.address):
            raise LocalDatabaseError(f"端口 {self.address} 已被其他数据库占用，请设置 LOCALDB_ADDRESS 换一个端口。")
        self._prepare_folder()
        self.cluster.start(timeout)
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                [str(binary), "-listen", self.address, "-postgresql", self.cluster.url, "-quiet"],
                stdout=log, stderr=log, start_new_session=True,
            )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise LocalDatabaseError(
                        f"本地数据库启动失败（退出码 {self.process.returncode}），请查看日志 {self.log_path}。")
                if _answers_ping(self.address):
                    return self
                time.sleep(0.2)
            raise LocalDatabaseError("本地数据库在规定时间内没有响应。")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM if os.name != "nt" else signal.CTRL_BREAK_EVENT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self.cluster.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
