"""The run command as an operator uses it: the local database starts, the app is
served by several worker processes, a worker that dies is replaced without the
database noticing, and stopping the server stops the database."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from admin_app.localdb import free_port

from .conftest import on_ferretdb

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not on_ferretdb(), reason="starts the local database: runs on the local-database lane")


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


@pytest.fixture
def var_dir():
    """A data folder the database's system user can reach (pytest's own folders are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="minzheng-serve-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_the_run_command_serves_from_several_workers_and_stops_the_database(var_dir):
    tmp_path = var_dir
    port, db_port = free_port(), free_port()
    env = dict(os.environ, VAR_DIR=str(tmp_path), LOCALDB_ADDRESS=f"127.0.0.1:{db_port}", WEB_WORKERS="2",
               APP_MODE="local")
    env.pop("MONGODB_URI", None)
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "admin_app.serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while not _port_open(port):
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.5)
        output = (tmp_path / "serve.log").read_text()
        assert "2 个进程" in output
        password = re.search(r"用户名 admin  密码 (\S+)", output).group(1)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        page = opener.open(f"{base}/login").read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        opener.open(f"{base}/login", urllib.parse.urlencode(
            {"csrf_token": token, "username": "admin", "password": password}).encode())
        # a session made by one worker is honoured by the other: a run of requests meets both
        for _ in range(8):
            assert "退出登录" in opener.open(f"{base}/").read().decode()
        workers = _children(server.pid)
        os.kill(workers[0], signal.SIGTERM)  # a worker ends: another takes its place
        time.sleep(3)
        assert server.poll() is None and _port_open(db_port)
        for _ in range(4):
            assert "退出登录" in opener.open(f"{base}/").read().decode()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
    assert "本地数据库已停止" in (tmp_path / "serve.log").read_text()
    assert not _port_open(db_port) and not _port_open(port)
