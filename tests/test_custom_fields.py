import datetime as dt
import io

from openpyxl import load_workbook

from models import idnumber
from models.archive_import import ImportBatch
from models.archives import ChildArchive
from models.custom_fields import CustomField
from tests import workbooks

from .archive_helpers import child_form, make_child
from .conftest import submit
from .test_import import confirm, upload, workbook_bytes


def define(client, **data):
    payload = {"label": "是否参加牵手同行", "archive_kind": "child", "kind": "choice", "required": "y",
               "choices_text": "已结对\n未结对", "sort_order": "1", "active": "y"}
    payload.update(data)
    return submit(client, "/customfield/new/", payload)


def test_admin_defines_a_field_that_needs_choices(app, login_as):
    client = login_as("admin")
    page = define(client, choices_text="只有一个").get_data(as_text=True)
    assert "至少填写两个选项" in page
    assert define(client).status_code == 302
    assert CustomField.objects(label="是否参加牵手同行").first().key.startswith("f_")


def test_custom_field_end_to_end(app, login_as, townships):
    admin = login_as("admin")
    define(admin)
    define(admin, label="身高（厘米）", kind="number", required="", choices_text="")
    field = CustomField.objects(label="是否参加牵手同行").first()
    height = CustomField.objects(label="身高（厘米）").first()

    staff = login_as("staff")
    form_page = staff.get("/childarchive/new/").get_data(as_text=True)
    assert "是否参加牵手同行（必填）" in form_page and "身高（厘米）" in form_page

    data = child_form(townships["东江街道"])
    page = submit(staff, "/childarchive/new/", data).get_data(as_text=True)
    assert "“是否参加牵手同行”为必填项" in page
    page = submit(staff, "/childarchive/new/", dict(data, **{f"cf_{field.key}": "已结对",
                                                              f"cf_{height.key}": "高"})).get_data(as_text=True)
    assert "“身高（厘米）”应为数字" in page
    response = submit(staff, "/childarchive/new/", dict(data, **{f"cf_{field.key}": "已结对",
                                                                 f"cf_{height.key}": "132"}))
    assert response.status_code == 302
    child = ChildArchive.objects(name="刘小红").first()
    assert child.custom == {field.key: "已结对", height.key: 132}

    details = staff.get(f"/childarchive/details/?id={child.pk}").get_data(as_text=True)
    assert "是否参加牵手同行" in details and "已结对" in details
    edit = staff.get(f"/childarchive/edit/?id={child.pk}").get_data(as_text=True)
    assert 'value="132"' in edit

    make_child(townships["东江街道"], name="未填写", sequence=3)
    listing = staff.get("/childarchive/", query_string={"flt0_custom_field": f"{field.key}::已结对"})
    page = listing.get_data(as_text=True)
    assert "刘小红" in page and "未填写" not in page

    sheet = load_workbook(io.BytesIO(staff.get("/childarchive/export/xlsx/").data)).active
    assert "是否参加牵手同行" in workbooks.headers(sheet)
    assert "已结对" in workbooks.column(sheet, "是否参加牵手同行")

    template = load_workbook(io.BytesIO(staff.get("/archive-import/template/child").data)).worksheets[0]
    assert "是否参加牵手同行*" in [c.value for c in template[1]]

    number = idnumber.make("450305", dt.date(2015, 1, 1), 18)
    headers = ["姓名", "身份证号", "性别", "出生日期", "街道/乡镇", "是否参加牵手同行"]
    page = upload(staff, workbook_bytes([["导入带自定义", number, None, None, "东江街道", "不知道"]],
                                        headers=headers)).get_data(as_text=True)
    assert "只能是：已结对、未结对" in page
    page = upload(staff, workbook_bytes([["导入带自定义", number, None, None, "东江街道", "未结对"]],
                                        headers=headers)).get_data(as_text=True)
    assert "新建 1" in page
    confirm(staff, ImportBatch.objects.order_by("-created_at", "-id").first())
    assert ChildArchive.objects(name="导入带自定义").first().custom == {field.key: "未结对"}


def test_inactive_fields_disappear_from_the_form(app, login_as):
    admin = login_as("admin")
    define(admin, active="")
    assert "是否参加牵手同行" not in login_as("staff").get("/childarchive/new/").get_data(as_text=True)
