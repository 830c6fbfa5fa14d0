"""The files as the bureau opens them: each workbook and Word document the app writes
is converted to PDF by LibreOffice headless (Debian ``libreoffice-calc-nogui``,
``libreoffice-writer-nogui``), and page images are saved under
test-artifacts/office/ (``pdftoppm`` from poppler-utils) for a person to look at.
Slow (about half a minute); skipped with the reason when LibreOffice is absent."""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from flask import url_for

from models.briefs import IssuedReport, draft_brief, draft_summary, issue_report
from models.clock import local_today
from models.contracts import current_contract
from views.registry import workbook_routes

from .test_reports_docx import ORGANISATION, _records
from .test_workbooks import _data

pytestmark = pytest.mark.office
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "office"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
#: Pages of each file saved as images (the first ones show the layout).
PAGES_SAVED = 2


def _files(app, login_as, townships, accounts) -> dict[str, bytes]:
    _data(townships, accounts)
    _records(townships, accounts)
    contract = current_contract()
    contract.update(set__provider=ORGANISATION)
    contract.reload()
    brief = draft_brief(contract, local_today().strftime("%Y-%m"), accounts["coordinator"])
    brief.update(set__highlights=brief.highlights + "\n本月联合社区开展“守护童心”主题活动 2 场，服务 86 人。",
                 set__typical_case="社工探访发现小A（化名）独自在家，链接社区儿童主任每周上门，现已恢复上学。")
    brief.reload()
    issued_brief = issue_report(brief, accounts["coordinator"], brief.version)
    summary = draft_summary(contract, accounts["coordinator"])
    summary.update(set__problems=summary.problems + "\n部分乡镇交通不便，入户探访频次偏低，已与村委约定集中探访日。",
                   set__typical_case="社工为独居老人李某（化名）链接助餐服务，现每日按时就餐。")
    summary.reload()
    issued_summary = issue_report(summary, accounts["coordinator"], summary.version)
    assert IssuedReport.objects.count() == 2
    wanted = {"indicators.report": "指标完成情况", "budget.export": "经费执行情况", "schedule.export": "待探访名单",
              "archiveimport.template": "档案导入模板", "subsidy.template_view": "补贴导入模板"}
    urls = {"儿童档案导出.xlsx": "/childarchive/export/xlsx/", "年度工作总结.docx": "/indicators/summary/",
            "工作简报.docx": f"/brief/docx/?id={brief.pk}",
            "工作简报（已签发）.docx": f"/issuedreport/download/?id={issued_brief.pk}",
            "年度工作总结（已签发）.docx": f"/issuedreport/download/?id={issued_summary.pk}"}
    with app.test_request_context():
        for endpoint, arguments, _ in workbook_routes():
            name = f"{wanted[endpoint]}.xlsx"
            urls.setdefault(name, url_for(endpoint, **arguments))
    client = login_as("coordinator")
    files = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200 and response.data[:2] == b"PK", url
        files[name] = response.data
    return files


def _pdf_text(pdf: Path) -> str:
    if not shutil.which("pdftotext"):
        return ""
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice（soffice）未安装：apt-get install libreoffice-calc-nogui "
                                            "libreoffice-writer-nogui poppler-utils 后可运行此测试")
def test_every_file_converts_to_pdf_and_its_pages_are_saved(app, login_as, townships, accounts):
    files = _files(app, login_as, townships, accounts)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    for name, data in files.items():
        (ARTIFACTS / name).write_bytes(data)
    with tempfile.TemporaryDirectory(prefix="soffice-profile-") as profile:
        subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(ARTIFACTS), *(str(ARTIFACTS / name) for name in files)],
                       check=True, capture_output=True, timeout=300)
    problems = []
    for name in files:
        pdf = ARTIFACTS / (Path(name).stem + ".pdf")
        if not pdf.exists() or pdf.stat().st_size == 0:
            problems.append(f"{name}: no PDF")
            continue
        text = _pdf_text(pdf)
        if text:
            expected = r"第 1 页，共 \d+ 页" if name.endswith(".xlsx") else r"—\s*1\s*—"
            if not re.search(expected, text):
                problems.append(f"{name}: no page number {expected!r} on the pages")
        if shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", str(PAGES_SAVED), str(pdf),
                            str(ARTIFACTS / Path(name).stem)], check=True, timeout=120)
    assert problems == [], "\n".join(problems)
    for name, own in (("年度工作总结", None), ("年度工作总结（已签发）", "李某（化名）"), ("工作简报（已签发）", "小A（化名）")):
        text = _pdf_text(ARTIFACTS / f"{name}.pdf")
        if text:
            headings = ("一、主要数据", "五、下月计划") if name.startswith("工作简报") else (
                "一、基本情况", "三、主要成效与数据", "六、下一步计划")
            for heading in (*headings, ORGANISATION, *([own] if own else [])):
                assert heading in re.sub(r"\s+", "", text), (name, heading)
    assert list(ARTIFACTS.glob("指标完成情况*.png")) or not shutil.which("pdftoppm")
