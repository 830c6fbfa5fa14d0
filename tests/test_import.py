import datetime as dt
import io
import random

import pytest
from openpyxl import Workbook, load_workbook

from models import idnumber
from models.archive_import import ImportBatch, apply_import, preview_import, start_batch
from models.archives import ChildArchive, ElderlyArchive

from .archive_helpers import make_child
from .conftest import csrf_token

HEADERS = ["姓名", "身份证号", "性别", "出生日期", "街道/乡镇", "社区/村委", "对象类别", "风险等级", "监护状况评估"]


def workbook_bytes(rows, headers=HEADERS, title="儿童档案"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def good_row(index, township="东江街道"):
    birth = dt.date(2012, 1, 1) + dt.timedelta(days=index % 1500)
    return [f"导入儿童{index}", idnumber.make("450305", birth, index % 997), None, birth.strftime("%Y-%m-%d"),
            township, None, "农村留守儿童", "三级（低）", "监护正常"]


def upload(client, data, kind="child", filename="名单.xlsx"):
    token = csrf_token(client, "/archive-import/")
    return client.post("/archive-import/", data={"csrf_token": token, "kind": kind,
                                                 "upload": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def confirm(client, batch):
    token = csrf_token(client, "/archive-import/")
    return client.post(f"/archive-import/confirm/{batch.pk}", data={"csrf_token": token})


def test_template_has_headers_example_and_drop_downs(login_as):
    client = login_as("staff")
    response = client.get("/archive-import/template/elderly")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[:2] == ["姓名*", "身份证号"] and "居住情况" in headers and "街道/乡镇*" in headers
    assert sheet.cell(row=2, column=1).value == "张小明"
    assert sheet.data_validations.dataValidation, "no drop-down lists"
    assert "选项" in workbook.sheetnames and "填写说明" in workbook.sheetnames


def test_preview_lists_every_problem_in_chinese(app, login_as, townships):
    make_child(townships["东江街道"], name="已有儿童", birth=dt.date(2013, 2, 2), sequence=5)
    existing_id = idnumber.make("450305", dt.date(2013, 2, 2), 5)
    bad_check = good_row(2)[1][:-1] + ("0" if good_row(2)[1][-1] != "0" else "1")
    rows = [
        good_row(1),
        [good_row(2)[0], bad_check, None, None, "东江街道", None, None, None, None],
        [good_row(3)[0], good_row(3)[1], None, "2001-01-01", "东江街道", None, None, None, None],
        [good_row(4)[0], good_row(4)[1], None, None, "不存在镇", None, None, None, None],
        [None, good_row(5)[1], None, None, "东江街道", None, None, None, None],
        good_row(1),
        ["已有儿童", existing_id, None, None, "东江街道", None, None, "二级（中）", None],
        [good_row(6)[0], None, None, "二〇一五年", "东江街道", None, None, None, None],
        [good_row(7)[0], good_row(7)[1], None, None, "东江街道", None, "外星儿童", None, None],
        [good_row(8)[0], good_row(8)[1], None, None, "穿山街道", None, None, None, None],
    ]
    client = login_as("staff")
    page = upload(client, workbook_bytes(rows)).get_data(as_text=True)
    for message in ("校验位错误", "出生日期与身份证号不一致", "未知的街道/乡镇", "“姓名”必填", "与第 2 行的身份证号重复",
                    "不是有效日期", "未知的对象类别", "穿山街道不在您的负责范围内", "更新已有档案"):
        assert message in page, message
    assert "没有导入任何数据" in page and "确认导入" not in page
    assert ChildArchive.objects.count() == 1
    assert ImportBatch.objects.count() == 0


def test_broken_foreign_and_wrong_files_get_clear_messages(login_as):
    client = login_as("staff")
    page = upload(client, b"this is not a spreadsheet").get_data(as_text=True)
    assert "不是有效的 Excel" in page
    foreign = workbook_bytes([["x", "y"]], headers=["编号", "金额"], title="Sheet1")
    page = upload(client, foreign).get_data(as_text=True)
    assert "找不到含" in page and "Sheet1" in page
    page = upload(client, workbook_bytes([good_row(1)]), kind="elderly").get_data(as_text=True)
    assert "找不到含" in page or "老年人档案的对象应年满 60 周岁" in page or "有问题" in page


def test_formula_cells_are_refused(login_as):
    row = good_row(1)
    row[0] = "=CONCATENATE(\"张\",\"三\")"
    page = upload(login_as("staff"), workbook_bytes([row])).get_data(as_text=True)
    assert "是公式" in page


def test_dates_typed_as_text_are_understood(app, login_as):
    rows = []
    for index, text in enumerate(("2014/3/5", "2014年3月6日", "2014.03.07", "20140308")):
        birth = dt.date(2014, 3, 5 + index)
        rows.append([f"日期{index}", idnumber.make("450305", birth, 101), None, text, "东江街道", None, None,
                     None, None])
    client = login_as("staff")
    page = upload(client, workbook_bytes(rows)).get_data(as_text=True)
    assert "新建 4" in page, page[-3000:]


def test_import_only_when_confirmed_and_twice_creates_nothing_new(app, login_as):
    client = login_as("staff")
    data = workbook_bytes([good_row(i) for i in range(1, 6)])
    page = upload(client, data).get_data(as_text=True)
    assert "新建 5" in page and ChildArchive.objects.count() == 0
    batch = ImportBatch.objects.first()
    assert confirm(client, batch).status_code == 302
    assert ChildArchive.objects.count() == 5
    child = ChildArchive.objects(name="导入儿童1").first()
    assert child.risk_level == "3" and child.guardianship == "normal" and child.categories[0].name == "农村留守儿童"

    upload(client, data)
    second = ImportBatch.objects.order_by("-created_at", "-id").first()
    assert second.pk != batch.pk
    confirm(client, second)
    assert ChildArchive.objects.count() == 5
    second.reload()
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 5)
    assert "已经导入过" in confirm(client, second).get_data(as_text=True) or \
        ChildArchive.objects.count() == 5


@pytest.mark.scale
def test_a_5000_row_file(app, accounts):
    rng = random.Random(7)
    rows = []
    for index in range(5000):
        birth = dt.date(1930, 1, 1) + dt.timedelta(days=index * 2)
        rows.append([f"老人{index}", idnumber.make("450305", birth, rng.randrange(1000)), None, None,
                     ["东江街道", "穿山街道", "朝阳乡"][index % 3], None, "高龄老人" if birth.year < 1945 else "留守老人",
                     "独居"])
    data = workbook_bytes(rows, headers=["姓名", "身份证号", "性别", "出生日期", "街道/乡镇", "社区/村委", "对象类别",
                                         "居住情况"], title="老年人档案")
    preview = preview_import(data, "elderly", None)
    assert not preview.file_problems and len(preview.rows) == 5000
    problems = [r for r in preview.rows if r.problems]
    assert problems == [], problems[:3]
    batch = start_batch(data, "5000.xlsx", "elderly", 5000, accounts["coordinator"])
    apply_import(batch, None, accounts["coordinator"])
    assert ElderlyArchive.objects.count() == 5000
    again = start_batch(data, "5000.xlsx", "elderly", 5000, accounts["coordinator"])
    apply_import(again, None, accounts["coordinator"])
    assert ElderlyArchive.objects.count() == 5000
