"""The indicator workbook and the year-end Word summary of a user limited to some
townships hold only those townships' figures and evidence."""

import datetime as dt
import io

import pytest
from docx import Document
from openpyxl import load_workbook

from admin_app.accounts import create_user
from models.casework import Case, CaseSession
from models.services import create_record

from .archive_helpers import make_elder
from .conftest import login


def _consultation(township, title, sequence):
    from models.users import User

    worker = User.objects(role="staff").first() or create_user("worker", "staff", "社工", "test1234")[0]
    person = make_elder(township, name=f"{title}老人", sequence=sequence)
    opened = dt.datetime(2026, 3, 1)
    return create_record(Case(case_type="consultation", client=person, worker=worker, title=title, opened_on=opened,
                              sessions=[CaseSession(session_date=opened + dt.timedelta(days=i), hours=2.0,
                                                    content="面谈") for i in range(3)]), None)


@pytest.mark.parametrize("role", ["manager", "coordinator"])
def test_reports_of_a_township_limited_user_hold_only_its_townships(app, client, townships, role):
    with app.app_context():
        _consultation(townships["东江街道"], "东江咨询个案", 401)
        _consultation(townships["穿山街道"], "穿山咨询个案", 402)
        create_user("limited", role, "范围用户", "test1234", townships=[townships["东江街道"]])
    login(client, "limited")
    workbook = load_workbook(io.BytesIO(client.get("/indicators/report/").data))
    rows = {r[0]: r for r in workbook["指标完成情况"].iter_rows(min_row=2, values_only=True)}
    assert rows["cases.consultation"][5] == "1个"
    text = "\n".join(str(cell) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
                     for cell in row if cell is not None)
    assert "东江咨询个案" in text
    assert "穿山咨询个案" not in text and "穿山咨询个案老人" not in text and "穿山街道" not in text
    summary = Document(io.BytesIO(client.get("/indicators/summary/").data))
    paragraphs = "\n".join(p.text for p in summary.paragraphs)
    assert "统计范围：东江街道" in paragraphs and "穿山咨询个案" not in paragraphs
    cells = {row.cells[0].text: row.cells[3].text for row in summary.tables[0].rows}
    assert cells[next(name for name in cells if "咨询个案" in name)] == "1个"


def test_the_district_reports_count_every_township(app, client, townships, login_as):
    with app.app_context():
        _consultation(townships["东江街道"], "东江咨询个案", 401)
        _consultation(townships["穿山街道"], "穿山咨询个案", 402)
    client = login_as("manager")
    workbook = load_workbook(io.BytesIO(client.get("/indicators/report/").data))
    rows = {r[0]: r for r in workbook["指标完成情况"].iter_rows(min_row=2, values_only=True)}
    assert rows["cases.consultation"][5] == "2个"
