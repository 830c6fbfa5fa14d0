"""A mixed load of concurrent logged-in users against the running app, on loopback.

    python -m bench.load --scale district --users 20 --seconds 180

Uses the benchmark's data of that scale (``python -m bench.run --scale ...`` makes it),
in ``MONGODB_URI`` when it is set, else in the local database in ``var/bench``. The
app runs as in production (waitress, 8 threads) in a process of its own; each
user signs in, then repeats a mix of what the staff do all day (lists with
filters, search, a person's file, the visit schedule, the patrol weeks, the
indicator overview, saving an archive, a visit with a photo, a patrol) until
the time is up, pausing between two actions as a person reading the page does
(``--think``, seconds drawn evenly from a range; ``--think 0`` sends the next
request at once, which measures the server saturated rather than 20 people). Every request is bounded by a timeout and the run by its
duration. Prints and saves (bench/results/load-<scale>.json) the latency
percentiles overall and per action, the errors and the server's peak memory."""

import argparse
import datetime as dt
import http.cookiejar
import io
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from .run import PASSWORD, ROOT, SCALES

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
REQUEST_TIMEOUT = 60


class User:
    """One signed-in person with a browser's cookie jar."""

    def __init__(self, base: str, username: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.username = username

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=REQUEST_TIMEOUT) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, ""

    def post(self, path: str, fields: dict, files: dict | None = None) -> int:
        if files:
            boundary = uuid.uuid4().hex
            body = io.BytesIO()
            for name, value in fields.items():
                body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                           .encode())
            for name, (filename, data) in files.items():
                body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
                           f'\r\nContent-Type: image/jpeg\r\n\r\n'.encode() + data + b"\r\n")
            body.write(f"--{boundary}--\r\n".encode())
            data, content_type = body.getvalue(), f"multipart/form-data; boundary={boundary}"
        else:
            data, content_type = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, data=data, headers={"Content-Type": content_type})
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT) as response:
                page = response.read().decode("utf-8", "replace")
                # a saved form redirects to the list; a form shown again means it was refused
                return 200 if "/new/" not in response.url and "/edit/" not in response.url else (
                    409 if "已被他人修改" in page else 422)
        except urllib.error.HTTPError as exc:
            return exc.code

    def token(self, path: str) -> str:
        status, page = self.get(path)
        match = CSRF_RE.search(page)
        if not match:
            raise RuntimeError(f"{path}: no form ({status})")
        return match.group(1)

    def login(self, password: str) -> None:
        token = self.token("/login")
        if self.post("/login", {"csrf_token": token, "username": self.username, "password": password}) >= 400:
            raise RuntimeError(f"login failed for {self.username}")


def photo() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), (90, 140, 60)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def actions(sample: dict):
    """(name, weight, callable(user, rng) -> HTTP status) for the mix."""
    picture = photo()

    def page(path_of):
        return lambda user, rng: user.get(path_of(rng))[0]

    def save_archive(user, rng):
        child = rng.choice(sample["children"])
        path = f"/childarchive/edit/?id={child['id']}"
        status, form = user.get(path)
        token, version = CSRF_RE.search(form), re.search(r'name="record_version"[^>]*value="(\d+)"', form)
        if status != 200 or not token or not version:
            return 500
        fields = {"csrf_token": token.group(1), "record_version": version.group(1), **child["form"],
                  "note": f"负载测试 {rng.random():.6f}"}
        return user.post(path, fields)

    def save_visit(user, rng):
        child = rng.choice(sample["children"])
        path = f"/visit/new/?person={child['id']}"
        fields = {"csrf_token": user.token(path), "people": child["id"], "mode": "home", "contact": "made",
                  "visited_at": dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"), "notes": "负载测试探访"}
        return user.post(path, fields, {"photo_upload": ("visit.jpg", picture)})

    def save_patrol(user, rng):
        fields = {"csrf_token": user.token("/patrol/new/"), "patrol_date": dt.date.today().isoformat(),
                  "start_time": "19:00", "end_time": "21:00", "township": rng.choice(sample["townships"]),
                  "places": "负载测试地点", "staff": sample["staff"], "encounters-0-description": "男，约40岁",
                  "encounters-0-actions": "counselling"}
        return user.post("/patrol/new/", fields)

    township = lambda rng: rng.choice(sample["townships"])  # noqa: E731
    return [
        ("档案列表（筛选）", 30, page(lambda rng: f"/archive/?flt0_township_equals={township(rng)}"
                                         f"&flt1_status_equals=active&page={rng.randint(0, 4)}")),
        ("姓名搜索", 15, page(lambda rng: "/archive/?search=" + urllib.parse.quote(rng.choice("王李张刘陈杨黄赵")))),
        ("档案详情", 25, page(lambda rng: f"/archive/details/?id={rng.choice(sample['children'])['id']}")),
        ("探访计划", 8, page(lambda rng: "/schedule/?policy=" + rng.choice(["child_risk_1", "child_risk_2"]))),
        ("巡查周统计", 5, page(lambda rng: "/patrol/weeks/")),
        ("指标总览", 2, page(lambda rng: "/indicators/")),
        ("保存档案", 7, save_archive),
        ("登记探访（含照片）", 5, save_visit),
        ("登记巡查", 3, save_patrol),
    ]


def sample_records(uri: str, database: str) -> dict:
    from pymongo import MongoClient

    db = MongoClient(uri)[database]
    children = []
    for son in db.archives.find({"_cls": "Archive.ChildArchive", "voided": False}, {
            "name": 1, "id_number": 1, "sex": 1, "birth_date": 1, "township": 1, "ethnicity": 1}, limit=200):
        children.append({"id": str(son["_id"]), "form": {
            "name": son["name"], "id_number": son.get("id_number") or "", "sex": son.get("sex") or "",
            "birth_date": son["birth_date"].strftime("%Y-%m-%d") if son.get("birth_date") else "",
            "ethnicity": son.get("ethnicity") or "汉族", "township": str(son["township"]), "status": "active"}})
    townships = [str(t["_id"]) for t in db.townships.find({}, {"_id": 1})]
    staff = db.users.find_one({"username": "bench_staff"}, {"_id": 1})
    return {"children": children, "townships": townships, "staff": str(staff["_id"])}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))], 1) if ordered else 0.0


def peak_memory_mb(pid: int) -> float | None:
    """The largest peak resident memory of the server's processes (the process itself and
    its web workers, when it runs several)."""
    peaks = []
    for process in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(round(int(line.split()[1]) / 1024, 1))
        except OSError:
            continue
    return max(peaks) if peaks else None


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(n) for n in task.read_text().split()]
        except OSError:
            continue
    return found


def run_load(uri: str, args, backend: str) -> dict:
    from admin_app.localdb import free_port

    database = f"bench_{args.scale}"
    sample = sample_records(uri, database)
    if not sample["children"]:
        raise SystemExit(f"{database} 中没有数据：请先运行 python -m bench.run --scale {args.scale}")
    port = free_port()
    env = dict(os.environ, APP_MODE="production", MONGODB_URI=uri, MONGODB_DB=database,
               SECRET_KEY="bench-load-" + "x" * 40)
    # the server's log goes to a file: a pipe nobody reads fills up and stops every thread that logs
    log_path = ROOT / "var" / f"load-{args.scale}-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "wb")  # noqa: SIM115
    server = subprocess.Popen([sys.executable, "-m", "admin_app.serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/login", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit(f"网页服务启动失败，请查看 {log_path}") from None
                time.sleep(0.5)
        mix = actions(sample)
        names, weights = [name for name, _, _ in mix], [weight for _, weight, _ in mix]
        calls = {name: call for name, _, call in mix}
        results: list[tuple[str, float, int]] = []
        lock = threading.Lock()
        think = args.think
        stop_at = time.monotonic() + args.seconds

        def work(index: int):
            rng = random.Random(index)
            user = User(base, "bench_staff" if index % 2 else "bench")
            user.login(PASSWORD)
            while time.monotonic() < stop_at:
                if think[1] > 0:
                    time.sleep(max(0.0, min(rng.uniform(*think), stop_at - time.monotonic())))
                    if time.monotonic() >= stop_at:
                        break
                name = rng.choices(names, weights)[0]
                started = time.perf_counter()
                try:
                    status = calls[name](user, rng)
                except Exception:  # a timeout or a dropped connection is an error of the run
                    status = 599
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    results.append((name, elapsed, status))

        threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(args.users)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + REQUEST_TIMEOUT + 30)
        memory = peak_memory_mb(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    # a refused save because a colleague saved first (409) is the product working, not an error
    errors = [r for r in results if r[2] >= 500 or r[2] in (400, 403, 404, 413, 422)]
    times = [r[1] for r in results]
    per_action = {}
    for name in names:
        mine = [r[1] for r in results if r[0] == name]
        per_action[name] = {"requests": len(mine), "p50_ms": percentile(mine, 0.5), "p95_ms": percentile(mine, 0.95),
                            "p99_ms": percentile(mine, 0.99),
                            "errors": sum(1 for r in errors if r[0] == name),
                            "refused_stale": sum(1 for r in results if r[0] == name and r[2] == 409)}
    return {"scale": args.scale, "backend": backend, "users": args.users, "seconds": args.seconds,
            "think_seconds": list(args.think), "web_workers": os.environ.get("WEB_WORKERS") or "默认",
            "when": dt.datetime.now().isoformat(timespec="seconds"), "requests": len(results),
            "per_second": round(len(results) / args.seconds, 1),
            "p50_ms": percentile(times, 0.5), "p95_ms": percentile(times, 0.95), "p99_ms": percentile(times, 0.99),
            "mean_ms": round(statistics.mean(times), 1) if times else 0.0, "errors": len(errors),
            "server_peak_mb": memory, "actions": per_action}


def think_range(text: str) -> tuple[float, float]:
    """``"1-5"`` → (1.0, 5.0); ``"0"`` → (0.0, 0.0)."""
    low, _, high = text.partition("-")
    try:
        bounds = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"停顿时间应写成“最短-最长”秒数，例如 1-5：{text}") from None
    if bounds[0] < 0 or bounds[1] < bounds[0]:
        raise argparse.ArgumentTypeError(f"停顿时间应写成“最短-最长”秒数，例如 1-5：{text}")
    return bounds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="district")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--think", type=think_range, default=(1.0, 5.0), metavar="MIN-MAX",
                        help="seconds a user pauses between two actions, drawn evenly (default 1-5; 0: none)")
    parser.add_argument("--save-as", default="", help="the result file's name (default load-<scale>.json)")
    args = parser.parse_args()
    uri = os.environ.get("MONGODB_URI")
    if uri:
        report = run_load(uri, args, "MONGODB_URI")
    else:
        from admin_app.localdb import LocalDatabase, free_port

        data_dir = ROOT / "var" / "bench"
        with LocalDatabase(data_dir, f"127.0.0.1:{free_port()}", durable=False,
                           log_path=data_dir / "ferretdb.log") as db:
            db.cluster.vacuum()  # the rows earlier runs deleted (autovacuum would, on a server left running)
            report = run_load(db.uri, args, "本地数据库（FerretDB 1.24 / PostgreSQL）")
    pause = "不停顿" if not args.think[1] else f"每两次操作之间停顿 {args.think[0]:g}–{args.think[1]:g} 秒"
    print(f"{report['users']} 个用户 {report['seconds']} 秒（{pause}）：{report['requests']} 个请求（每秒 {report['per_second']}），"
          f"中位数 {report['p50_ms']} ms，95 分位 {report['p95_ms']} ms，99 分位 {report['p99_ms']} ms，"
          f"错误 {report['errors']}，服务进程内存峰值（单个进程最大） {report['server_peak_mb']} MB")
    for name, row in report["actions"].items():
        print(f"  {name}：{row['requests']} 次，{row['p50_ms']} / {row['p95_ms']} / {row['p99_ms']} ms，"
              f"错误 {row['errors']}，因他人先保存被拒 {row['refused_stale']}")
    out = ROOT / "bench" / "results" / (args.save_as or f"load-{args.scale}.json")  # an absolute --save-as wins
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"结果已写入 {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
