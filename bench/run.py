"""Benchmark of the main pages at a named scale, against stock Flask-Admin.

    python -m bench.run --scale district          # 5,000 archives, ~25,000 visits and services
    python -m bench.run --scale city --repeat 3   # 100,000 archives, ~500,000 records

Data go into the configured database: ``MONGODB_URI`` when it is set, else a
local database started for the run in ``var/bench`` (a database per scale;
generated once, reused by later runs of the same scale). For each page: the
median and 95th percentile of the server time over repeated requests, the
database commands of one request, and the peak Python memory of one request.
Prints a table and writes ``bench/results/<scale>.json``."""

import argparse
import datetime as dt
import functools
import io
import itertools
import json
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCALES = {
    # archives, visits per visited person, services (cases, groups, events, trainings, publicity)
    "tiny": {"archives": 500, "visits": (2, 4), "services": 300},
    "district": {"archives": 5_000, "visits": (3, 6), "services": 5_000},
    "city": {"archives": 100_000, "visits": (3, 6), "services": 100_000},
}
IMPORT_ROWS = 5_000
IMPORT_ROUNDS = itertools.count()
PASSWORD = "bench-pass-123"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="district")
    parser.add_argument("--repeat", type=int, default=5, help="requests per page for the timings")
    parser.add_argument("--regenerate", action="store_true", help="drop and regenerate the scale's data")
    parser.add_argument("--no-import", action="store_true", help="skip the 5,000-row import (it writes data)")
    parser.add_argument("--no-warmup", action="store_true", help="no untimed first request (for the slowest scales)")
    parser.add_argument("--stock-memory", choices=("yes", "no"), default="yes",
                        help="also trace the stock pages' memory (slow where they load whole collections)")
    parser.add_argument("--no-stock", action="store_true",
                        help="only this system's pages (the city scale's bounds are on commands and memory)")
    parser.add_argument("--pages", default="", help="only these pages: numbers from 1, comma-separated")
    parser.add_argument("--markdown", action="store_true", help="print the saved results as the README's table")
    args = parser.parse_args()
    args.chosen = {int(n) for n in args.pages.split(",") if n.strip()}
    if args.markdown:
        for scale in SCALES:
            path = ROOT / "bench" / "results" / f"{scale}.json"
            if path.exists():
                print(markdown(json.loads(path.read_text(encoding="utf-8"))))
        return 0
    uri = os.environ.get("MONGODB_URI")
    if uri:
        return run(args, uri)
    from admin_app.localdb import LocalDatabase, free_port

    data_dir = ROOT / "var" / "bench"
    data_dir.mkdir(parents=True, exist_ok=True)
    with LocalDatabase(data_dir, f"127.0.0.1:{free_port()}", durable=False, log_path=data_dir / "ferretdb.log") as db:
        return run(args, db.uri, backend="本地数据库（FerretDB 1.24 / PostgreSQL）", tidy=db.cluster.vacuum)


def run(args, uri: str, backend: str = "MONGODB_URI", tidy=lambda: None) -> int:
    """Measure every page; ``tidy`` clears the rows deleted so far (the local database's VACUUM)."""
    from admin_app import create_app

    database = f"bench_{args.scale}"
    app = create_app({"APP_MODE": "production", "SECRET_KEY": "bench-" + "x" * 40, "MONGODB_URI": uri,
                      "MONGODB_DB": database})
    with app.app_context():
        prepare_data(app, args.scale, args.regenerate)
        tidy()
        _ids()
        ours, stock = our_pages(app), stock_pages(app)
        for client in (ours, stock):  # the export page writes the first 5,000 archives of the list, on both sides
            for view in client.application.extensions["admin"][0]._views:
                if getattr(view, "endpoint", "") in ("archive", "stock_archive"):
                    view.export_max_rows = IMPORT_ROWS
        results = []
        options = {"repeat": args.repeat, "warmup": not args.no_warmup}
        for number, (name, (our_request, stock_request)) in enumerate(PAGES.items(), start=1):
            if (args.no_import and name == "Excel 导入 5,000 行") or (args.chosen and number not in args.chosen):
                continue
            if name.startswith("Excel 导入"):
                # every import meets the scale's own archives: the previous one's taken out again
                row = {"page": name, "ours": measure(ours, our_request, name, before=lambda: (remove_imported(), tidy()),
                                                     **options)}
                remove_imported()
                tidy()
            else:
                row = {"page": name, "ours": measure(ours, our_request, name, **options)}
            row["stock"] = measure(stock, stock_request, name, memory=args.stock_memory == "yes", **options) \
                if stock_request and not args.no_stock else None
            if row["stock"] and row["stock"].get("median_ms") and row["ours"].get("median_ms"):
                row["ratio"] = round(row["ours"]["median_ms"] / row["stock"]["median_ms"], 2)
            results.append(row)
            print_row(row)
        report = {"scale": args.scale, "backend": backend, "when": dt.datetime.now().isoformat(timespec="seconds"),
                  "machine": machine(), "counts": counts(), "repeat": args.repeat, "warmup": not args.no_warmup,
                  "pages": results}
    out = ROOT / "bench" / "results" / f"{args.scale}.json"
    out.parent.mkdir(exist_ok=True)
    if (args.chosen or args.no_import) and out.exists():  # a partial run replaces its own pages in the saved one
        saved = json.loads(out.read_text(encoding="utf-8"))
        measured = {row["page"] for row in results}
        order = list(PAGES)
        report["pages"] = sorted([row for row in saved["pages"] if row["page"] not in measured] + results,
                                 key=lambda row: order.index(row["page"]))
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(f"\n结果已写入 {out.relative_to(ROOT)}")
    return 0


# ---------------------------------------------------------------- data


def prepare_data(app, scale: str, regenerate: bool) -> None:
    from mongoengine.connection import get_db

    from admin_app.accounts import create_user
    from models.archives import Archive
    from models.users import User
    from seeds.demo import generate_archives, generate_services, generate_visits_and_patrols
    from seeds.loader import load_reference_data

    db = get_db()
    if regenerate:
        for name in db.list_collection_names():
            db.drop_collection(name)
    load_reference_data()
    if User.objects(username="bench").first() is None:
        create_user("bench", "coordinator", "基准测试", PASSWORD)
        create_user("bench_staff", "staff", "基准社工", PASSWORD)
    plan = SCALES[scale]
    have = Archive.objects.count()
    if have >= plan["archives"]:
        print(f"使用已有数据：档案 {have} 份")
        return
    started = time.perf_counter()
    print(f"生成 {scale} 规模数据……", flush=True)
    step = 20_000
    for index, start in enumerate(range(have, plan["archives"], step)):
        generate_archives(min(step, plan["archives"] - start), seed=100 + index)
    generate_visits_and_patrols(seed=7, weeks=52, visits_per_person=plan["visits"], share_visited=1.0)
    generate_services(plan["services"], seed=7)
    print(f"生成完成，用时 {time.perf_counter() - started:.0f} 秒：{counts()}", flush=True)


def remove_imported() -> None:
    """Take the benchmark's imported archives out again, so that the scale stays what it was."""
    from models.archive_import import ImportBatch
    from models.archives import Archive

    Archive._get_collection().delete_many({"name": {"$regex": "^导入老人"}})
    ImportBatch._get_collection().delete_many({"filename": "bench.xlsx"})


def counts() -> dict:
    from models.activities import CommunityEvent, Training
    from models.archives import Archive
    from models.casework import Case, GroupSeries
    from models.patrols import Patrol
    from models.publicity import PublicityActivity
    from models.visits import Visit

    services = sum(d.objects.count() for d in (Case, GroupSeries, CommunityEvent, Training, PublicityActivity))
    return {"archives": Archive.objects.count(), "visits": Visit.objects.count(), "patrols": Patrol.objects.count(),
            "services": services}


def import_file() -> bytes:
    from openpyxl import Workbook

    from models import idnumber

    rng = random.Random(5)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "老年人档案"
    sheet.append(["姓名", "身份证号", "性别", "出生日期", "街道/乡镇", "社区/村委", "对象类别", "居住情况"])
    area = f"4503{20 + next(IMPORT_ROUNDS) % 70:02d}"  # fresh people (new ID numbers) at every round
    for index in range(IMPORT_ROWS):
        birth = dt.date(1930, 1, 1) + dt.timedelta(days=index * 2)
        sheet.append([f"导入老人{index}", idnumber.make(area, birth, rng.randrange(1000)), None, None,
                      ["东江街道", "穿山街道", "朝阳乡"][index % 3], None, "高龄老人" if birth.year < 1945 else "留守老人",
                      "独居"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- pages


def our_pages(app):
    from tests.conftest import csrf_token

    client = app.test_client()
    client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "username": "bench", "password": PASSWORD})
    return client


def stock_pages(app):
    from .stock import stock_app

    return stock_app(app.config["SECRET_KEY"]).test_client()


@functools.cache
def _ids():
    """The township and the child the page requests name: looked up once, before any timing."""
    from models.archives import Archive, ChildArchive
    from models.reference import Township

    township = Township.objects(code="450305002").first() or Township.objects.first()
    # a visited child (the first visit may be an elderly person's, as at the city scale)
    child = ChildArchive.objects(last_visited_at__ne=None).only("id").first() or ChildArchive.objects.first()
    return {"township": str(township.pk), "child": str((child or Archive.objects.first()).pk)}


def _stock_filters(client, endpoint="stock_archive", which=(("status", "active"), ("sex", "女"), ("complete", "0"))):
    from .stock import filter_index

    view = next(v for v in client.application.extensions["admin"][0]._views if getattr(v, "endpoint", "") == endpoint)
    operations = {"complete": "BooleanEqualFilter"}
    return "&".join(f"flt{position}_{filter_index(view, column, operations.get(column, 'FilterEqual'))}={value}"
                    for position, (column, value) in enumerate(which))


def _get(url):
    def request(client):
        response = client.get(url() if callable(url) else url)
        return response.status_code, len(response.get_data())

    return request


def _import(client):
    from tests.conftest import csrf_token

    data = import_file()
    token = csrf_token(client, "/archive-import/")
    preview = client.post("/archive-import/", data={"csrf_token": token, "kind": "elderly",
                                                    "upload": (io.BytesIO(data), "bench.xlsx")},
                          content_type="multipart/form-data")
    page = preview.get_data(as_text=True)
    marker = "/archive-import/confirm/"
    if marker not in page:
        return preview.status_code, 0
    batch = page.split(marker, 1)[1].split('"', 1)[0]
    confirmed = client.post(f"{marker}{batch}", data={"csrf_token": csrf_token(client, "/archive-import/")})
    return confirmed.status_code, len(data)


def _photo() -> bytes:
    """A phone-sized photo, as the field pages send after shrinking it (1,600 px, JPEG)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), (90, 140, 60)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


@functools.cache
def _form_token(client_id: int, client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/patrol/new/")


def _save_archive(client):
    """Save the archive page's child with a changed note (the version read first, as the form holds it)."""
    from models.archives import ChildArchive

    child = ChildArchive.objects(pk=_ids()["child"]).only(
        "name", "id_number", "sex", "birth_date", "township", "version", "ethnicity").first()
    data = {"csrf_token": _form_token(id(client), client), "record_version": str(child.version),
            "name": child.name, "id_number": child.id_number or "", "sex": child.sex or "",
            "birth_date": child.birth_date.strftime("%Y-%m-%d") if child.birth_date else "",
            "ethnicity": child.ethnicity or "汉族", "township": str(child.township.pk), "status": "active",
            "note": f"基准测试保存 {next(IMPORT_ROUNDS)}"}
    response = client.post(f"/childarchive/edit/?id={child.pk}", data=data)
    return (response.status_code if response.status_code == 302 else 500), len(response.get_data())


def _save_visit(client):
    """A home visit with one photo, for the archive page's child."""
    child = _ids()["child"]
    data = {"csrf_token": _form_token(id(client), client), "people": child,
            "visited_at": dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"), "mode": "home", "contact": "made",
            "notes": "基准测试探访", "photo_upload": (io.BytesIO(_photo()), "visit.jpg")}
    response = client.post(f"/visit/new/?person={child}", data=data, content_type="multipart/form-data")
    return (response.status_code if response.status_code == 302 else 500), len(response.get_data())


def _save_patrol(client):
    """A street patrol with one encounter."""
    from models.users import User

    staff = User.objects(username="bench_staff").only("id").first()
    data = {"csrf_token": _form_token(id(client), client), "patrol_date": dt.date.today().isoformat(),
            "start_time": "19:00", "end_time": "21:00", "township": _ids()["township"], "places": "基准测试地点",
            "staff": str(staff.pk), "encounters-0-description": "男，约40岁", "encounters-0-actions": "counselling"}
    response = client.post("/patrol/new/", data=data)
    return (response.status_code if response.status_code == 302 else 500), len(response.get_data())


PAGES = {
    "档案列表（三个筛选）": (
        _get(lambda: "/archive/?flt0_township_equals={township}&flt1_status_equals=active&flt2_complete_equals=0"
             .format(**_ids())),
        lambda client: _get(f"/stock/archive/?{_stock_filters(client)}")(client)),
    "姓名搜索": (_get("/archive/?search=王"), _get("/stock/archive/?search=王")),
    "档案详情（一人一档）": (_get(lambda: "/archive/details/?id={child}".format(**_ids())),
                   _get(lambda: "/stock/archive/details/?id={child}".format(**_ids()))),
    "探访计划（本月应访名单）": (_get("/schedule/?policy=child_risk_2"),
                     lambda client: _get("/stock/child/?" + _stock_filters(
                         client, "stock_child", (("status", "active"), ("risk_level", "2"))))(client)),
    "巡查周统计": (_get("/patrol/weeks/"), _get("/stock/patrol/")),
    "指标总览": (_get("/indicators/"), _get("/stock/indicators/")),
    "指标详情与佐证": (_get("/indicators/show/visits.home/"), _get("/stock/indicators/visits.home/")),
    "Excel 导出 5,000 行": (_get("/archive/export/xlsx/"), _get("/stock/archive/export/csv/")),
    "Excel 导入 5,000 行": (_import, None),
    "保存档案": (_save_archive, None),
    "登记探访（含照片）": (_save_visit, None),
    "登记巡查": (_save_patrol, None),
    # a visit-cadence indicator: every child's marks and risk history, per week, month and quarter
    "指标详情（探访覆盖）": (_get("/indicators/show/visits.risk_cadence/"), None),
}


def measure(client, request, name: str, repeat: int = 5, warmup: bool = True, memory: bool = True,
            before=lambda: None) -> dict:
    """Time ``repeat`` requests (after an untimed one), count the commands of the first
    timed one, then trace the memory of one more (tracing slows Python down). ``before``
    runs, untimed, before each request (the import: the scale's data as it was)."""
    from tests.dbcount import count_commands

    try:
        if warmup:
            before()
            status, size = request(client)
            if status >= 400:
                return {"error": f"HTTP {status}"}
        if name.startswith("Excel 导入"):
            repeat = 1
        times, commands = [], None
        for _ in range(repeat):
            before()
            with count_commands() as counted:
                started = time.perf_counter()
                status, size = request(client)
                times.append((time.perf_counter() - started) * 1000)
            if status >= 400:
                return {"error": f"HTTP {status}"}
            commands = counted.value if commands is None else commands
        peak = None
        if memory:
            before()
            tracemalloc.start()
            request(client)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    except Exception as exc:  # the stock views fail on some backends: report it, do not stop the run
        tracemalloc.stop()
        return {"error": f"{type(exc).__name__}: {str(exc)[:120]}"}
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1), "commands": commands,
            "peak_mb": round(peak / 1024 / 1024, 1) if peak is not None else None, "bytes": size}


def _cell(result) -> str:
    if not result:
        return "—"
    if "error" in result:
        return "失败：" + result["error"][:40]
    memory = f"{result['peak_mb']:>6.1f} MB" if result.get("peak_mb") is not None else "     — MB"
    return f"{result['median_ms']:>8.1f} / {result['p95_ms']:>8.1f} ms  {result['commands']:>4} 条  {memory}"


def print_row(row) -> None:
    ratio = f"{row['ratio']:.2f}" if row.get("ratio") else "—"
    print(f"{row['page']:<18} 本系统 {_cell(row['ours'])} | 原版 {_cell(row['stock'])} | 比值 {ratio}", flush=True)


def _markdown_cell(result) -> str:
    if not result:
        return "—"
    if "error" in result:
        return "失败（" + result["error"] + "）"
    memory = f"，{result['peak_mb']:g} MB" if result.get("peak_mb") is not None else ""
    return f"{result['median_ms'] / 1000:.2f} s / {result['p95_ms'] / 1000:.2f} s，{result['commands']} 条{memory}"


def markdown(report: dict) -> str:
    """One saved run as a Markdown table (what the README shows)."""
    m, c = report["machine"], report["counts"]
    lines = [f"**{report['scale']}**：档案 {c['archives']:,}，探访 {c['visits']:,}，服务记录 {c['services']:,}；"
             f"{report['backend']}；{m['system']} {m['processor']}，{m['cpus']} 核，Python {m['python']}；"
             f"{report['when'][:10]}，每页 {report['repeat']} 次{'（另有一次预热）' if report.get('warmup', True) else ''}。",
             "", "| 页面 | 本系统：中位数 / 95 分位，命令数，内存峰值 | 原版 Flask-Admin | 本系统/原版 |", "|---|---|---|---|"]
    for row in report["pages"]:
        ratio = f"{row['ratio']:.2f}" if row.get("ratio") else "—"
        lines.append(f"| {row['page']} | {_markdown_cell(row['ours'])} | {_markdown_cell(row['stock'])} | {ratio} |")
    return "\n".join(lines) + "\n"


def machine() -> dict:
    return {"python": platform.python_version(), "system": platform.system(), "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine()}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
