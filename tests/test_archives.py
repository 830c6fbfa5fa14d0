import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from models.archives import Archive, ChildArchive
from models.audit import AuditEntry
from tests.workbooks import column

from .archive_helpers import child_form, child_id, make_child, make_elder
from .conftest import submit


def test_staff_creates_a_child_archive_through_the_form(app, login_as, townships, accounts):
    client = login_as("staff")
    response = submit(client, "/childarchive/new/", child_form(townships["东江街道"]))
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    child = ChildArchive.objects(name="刘小红").first()
    assert child.name_initials == "lxh" and child.sex == "女"
    assert 0 < child.completeness < 100 and "风险等级" in child.missing_items
    assert AuditEntry.objects(record_id=str(child.pk), action="create").count() == 1


def _error_page(client, data, url="/childarchive/new/"):
    response = submit(client, url, data)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_validation_rules_refuse_with_chinese_messages_and_keep_input(app, login_as, townships):
    client = login_as("staff")
    dongjiang = townships["东江街道"]
    good_id = child_id(dt.date(2015, 3, 5), 24)
    cases = [
        ({"id_number": good_id[:-1] + ("1" if good_id[-1] != "1" else "2")}, "校验位错误"),
        ({"birth_date": "2015-03-06"}, "出生日期与身份证号不一致"),
        ({"sex": "男"}, "性别与身份证号不一致"),
        ({"id_number": child_id(dt.date(2000, 1, 1), 24), "birth_date": "2000-01-01"}, "应未满 18 周岁"),
        ({"status": "closed"}, "须填写状态原因"),
        ({"township": str(townships["穿山街道"].pk)}, "您负责的街道/乡镇"),
    ]
    for overrides, message in cases:
        page = _error_page(client, child_form(dongjiang, name="输入保留测试", **overrides))
        assert message in page, message
        assert 'value="输入保留测试"' in page, message
    assert ChildArchive.objects(name="输入保留测试").count() == 0


def test_left_behind_child_must_be_under_16(app, login_as, townships):
    from models.reference import PersonCategory

    left_behind = PersonCategory.objects(code="left_behind_child").first()
    client = login_as("staff")
    page = _error_page(client, child_form(townships["东江街道"], id_number=child_id(dt.date(2009, 1, 2), 24),
                                          birth_date="2009-01-02", categories=[str(left_behind.pk)]))
    assert "农村留守儿童应未满 16 周岁" in page


def test_existing_id_number_refuses_and_points_to_the_archive(app, login_as, townships):
    existing = make_child(townships["东江街道"], name="已有档案", birth=dt.date(2015, 3, 5), sequence=24)
    client = login_as("staff")
    page = _error_page(client, child_form(townships["东江街道"], name="重复录入"))
    assert "已有档案" in page and str(existing.pk) in page
    assert Archive.objects(name="重复录入").count() == 0


def test_same_name_birth_and_township_warns_before_saving(app, login_as, townships):
    make_child(townships["东江街道"], name="刘小红", birth=dt.date(2015, 3, 5), sequence=26)
    client = login_as("staff")
    data = child_form(townships["东江街道"], id_number=None, sex="女")
    page = _error_page(client, data)
    assert "可能重复" in page
    assert ChildArchive.objects(name="刘小红").count() == 1
    response = submit(client, "/childarchive/new/", dict(data, confirm_not_duplicate="y"))
    assert response.status_code == 302
    assert ChildArchive.objects(name="刘小红").count() == 2


def test_search_by_pinyin_initials_name_and_id(app, login_as, townships):
    make_child(townships["东江街道"], name="张三", sequence=31)
    make_child(townships["东江街道"], name="李四", sequence=33)
    client = login_as("coordinator")
    for term in ("zs", "ZS", "zhangsan", "张", child_id(sequence=31)[-6:]):
        page = client.get("/archive/", query_string={"search": term}).get_data(as_text=True)
        assert ">张三<" in page and ">李四<" not in page, term


def test_id_numbers_are_masked_in_lists_and_shown_only_to_roles_that_need_them(app, login_as, townships):
    child = make_child(townships["东江街道"], name="脱敏测试", sequence=41, harm_details="具体侵害经过")
    full = child.id_number
    masked = full[:4] + "*" * 10 + full[-4:]
    staff = login_as("staff")
    assert masked in staff.get("/archive/").get_data(as_text=True)
    assert full not in staff.get("/archive/").get_data(as_text=True)
    details = staff.get(f"/childarchive/details/?id={child.pk}").get_data(as_text=True)
    assert full in details and "具体侵害经过" in details
    manager = login_as("manager")
    details = manager.get(f"/childarchive/details/?id={child.pk}").get_data(as_text=True)
    assert full not in details and masked in details
    assert "具体侵害经过" not in details and "无权查看" in details
    workbook = load_workbook(io.BytesIO(manager.get("/childarchive/export/xlsx/").data))
    cells = [str(c.value) for row in workbook.active.iter_rows() for c in row]
    assert masked in cells and full not in cells
    workbook = load_workbook(io.BytesIO(login_as("coordinator").get("/childarchive/export/xlsx/").data))
    assert full in [str(c.value) for row in workbook.active.iter_rows() for c in row]


def test_archives_are_scoped_by_township(app, login_as, townships):
    mine = make_child(townships["东江街道"], name="东江儿童", sequence=51)
    other = make_child(townships["穿山街道"], name="穿山儿童", sequence=53)
    client = login_as("staff")
    page = client.get("/archive/").get_data(as_text=True)
    assert "东江儿童" in page and "穿山儿童" not in page
    assert client.get(f"/childarchive/details/?id={other.pk}").status_code == 404
    assert client.get(f"/childarchive/print/?id={other.pk}").status_code == 404
    assert client.get(f"/childarchive/details/?id={mine.pk}").status_code == 200
    workbook = load_workbook(io.BytesIO(client.get("/archive/export/xlsx/").data))
    assert column(workbook.active, "姓名") == ["东江儿童"]


def test_manager_reads_but_cannot_edit_archives(app, login_as, townships):
    child = make_child(townships["东江街道"], sequence=61)
    client = login_as("manager")
    assert client.get("/archive/").status_code == 200
    assert client.get(f"/childarchive/edit/?id={child.pk}").status_code == 403
    assert client.get("/childarchive/new/").status_code == 403
    assert client.get(f"/childarchive/risk/?id={child.pk}").status_code == 403


def test_filters(app, login_as, townships):
    make_child(townships["东江街道"], name="高风险", sequence=71, risk_level="1")
    make_child(townships["东江街道"], name="低风险", sequence=73, risk_level="3")
    make_elder(townships["东江街道"], name="九十老人", birth=dt.date(1934, 2, 2), sequence=75)
    client = login_as("coordinator")
    page = client.get("/archive/?flt0_risk_level_equals=1").get_data(as_text=True)
    assert "高风险" in page and "低风险" not in page and "九十老人" not in page
    page = client.get("/archive/?flt0_age_band=80-150").get_data(as_text=True)
    assert "九十老人" in page and "高风险" not in page
    page = client.get(f"/archive/?flt0_township_equals={townships['穿山街道'].pk}").get_data(as_text=True)
    assert "高风险" not in page


def test_bulk_assign_and_status_change(app, login_as, townships, accounts):
    first = make_child(townships["东江街道"], name="甲", sequence=81)
    second = make_child(townships["东江街道"], name="乙", sequence=83)
    client = login_as("coordinator")
    ids = f"{first.pk},{second.pk}"
    url = f"/archive/bulk/?op=assign&ids={ids}"
    response = submit(client, url, {"ids": ids, "op": "assign", "worker": str(accounts["staff"].pk)})
    assert response.status_code == 302
    assert {a.worker.username for a in ChildArchive.objects(pk__in=[first.pk, second.pk])} == {"shegong"}
    url = f"/archive/bulk/?op=status&ids={ids}"
    page = submit(client, url, {"ids": ids, "op": "status", "status": "moved"}).get_data(as_text=True)
    assert "须填写原因" in page
    submit(client, url, {"ids": ids, "op": "status", "status": "moved", "reason": "随父母迁往柳州",
                         "status_date": "2026-06-01"})
    assert {a.status for a in ChildArchive.objects(pk__in=[first.pk, second.pk])} == {"moved"}
    assert AuditEntry.objects(record_id=str(first.pk), action="update").count() == 2


@pytest.mark.parametrize("selected", [1, 2, 3, 5])
def test_a_bulk_selection_past_the_limit_says_what_it_leaves(app, login_as, townships, monkeypatch, selected):
    import models.archive_operations

    limit = 2
    monkeypatch.setattr(models.archive_operations, "BULK_LIMIT", limit)
    children = [make_child(townships["东江街道"], name=f"批量{i}", sequence=101 + 2 * i) for i in range(selected)]
    ids = ",".join(str(c.pk) for c in children)
    client = login_as("coordinator")
    page = client.get(f"/archive/bulk/?op=status&ids={ids}").get_data(as_text=True)
    taken = min(selected, limit)
    assert f"共 {taken} 份档案" in page
    assert (f"共选择了 {selected} 份，本次只处理前 {limit} 份" in page) == (selected > limit)
    response = submit(client, f"/archive/bulk/?op=status&ids={ids}",
                      {"ids": ids, "op": "status", "status": "moved", "reason": "迁出", "status_date": "2026-06-01"})
    assert response.status_code == 302
    assert ChildArchive.objects(status="moved").count() == taken
    shown = client.get("/archive/").get_data(as_text=True)
    assert (f"其余 {selected - limit} 份请在完成后重新选择" in shown) == (selected > limit)


def test_detail_page_and_print_view_hold_the_whole_file(app, login_as, townships, accounts):
    from models.assessments import record_risk_assessment

    child = make_child(townships["东江街道"], name="整档儿童", sequence=91, school="朝阳乡中心小学")
    record_risk_assessment(child, ["neglect", "home_hazard"], None, "", "张社工", dt.datetime(2026, 4, 1),
                           accounts["staff"])
    client = login_as("staff")
    page = client.get(f"/childarchive/details/?id={child.pk}").get_data(as_text=True)
    for text in ("基本信息", "就学与健康", "家庭与监护", "风险评估记录", "时间线", "朝阳乡中心小学", "二级（中）"):
        assert text in page, text
    printed = client.get(f"/childarchive/print/?id={child.pk}").get_data(as_text=True)
    assert "一人一档" in printed and "被忽视、无人照料" in printed and "print.css" in printed


def test_risk_assessment_page(app, login_as, townships):
    child = make_child(townships["东江街道"], sequence=93)
    client = login_as("staff")
    url = f"/childarchive/risk/?id={child.pk}"
    page = submit(client, url, {"factors": ["neglect", "guardian_improper"], "preview": "1"}).get_data(as_text=True)
    assert "建议等级：<b>一级（高）</b>" in page
    response = submit(client, url, {"factors": ["neglect", "guardian_improper"], "assessor": "张社工",
                                    "assessed_on": "2026-05-01", "final_level": ""})
    assert response.status_code == 302
    assert ChildArchive.objects(pk=child.pk).first().risk_level == "1"


def test_capability_assessment_page(app, login_as, townships):
    from models.archives import ElderlyArchive
    from models.rules import get_rules

    elder = make_elder(townships["东江街道"], sequence=95)
    client = login_as("staff")
    data = {f"item_{i['code']}": str(i["max"]) for d in get_rules("capability_standard")["dimensions"]
            for i in d["items"]}
    del data["item_eating"]
    url = f"/elderlyarchive/capability/?id={elder.pk}"
    page = submit(client, url, dict(data, assessed_on="2026-05-01", reason="first", diagnosis="none",
                                    assessor_one="甲", assessor_two="乙")).get_data(as_text=True)
    assert "未打分：进食" in page
    assert re.search(r'name="item_bathing"[^>]*value="4"[^>]*checked', page)  # answers kept
    data["item_eating"] = "4"
    response = submit(client, url, dict(data, assessed_on="2026-05-01", reason="first", diagnosis="dementia",
                                        assessor_one="甲", assessor_two="乙"))
    assert response.status_code == 302
    assert ElderlyArchive.objects(pk=elder.pk).first().capability_level == "轻度失能"


def test_editing_a_name_updates_its_pinyin_keys(app, login_as, townships):
    child = make_child(townships["东江街道"], name="王小明", sequence=97)
    client = login_as("staff")
    data = {"name": "赵小龙", "id_number": child.id_number, "sex": "男", "birth_date": "2016-05-01",
            "ethnicity": "汉族", "township": str(townships["东江街道"].pk), "status": "active",
            "record_version": str(child.version)}
    response = submit(client, f"/childarchive/edit/?id={child.pk}", data)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    stored = ChildArchive.objects(pk=child.pk).first()
    assert stored.name == "赵小龙" and stored.name_initials == "zxl"
    assert stored.guardianship is None  # an optional choice left blank stays blank
    page = client.get("/archive/", query_string={"search": "zxl"}).get_data(as_text=True)
    assert "赵小龙" in page


def _figures(page):
    pairs = re.findall(r'figure-value">(\d+)</div>\s*<div class="figure-label">([^<]+)</div>', page)
    return {label: value for value, label in pairs}


def test_start_pages_count_real_archives(app, login_as, townships, accounts):
    make_child(townships["东江街道"], name="分给我的", sequence=98, worker=accounts["staff"], risk_level="1")
    make_child(townships["东江街道"], name="未分派", sequence=99)
    figures = _figures(login_as("staff").get("/").get_data(as_text=True))
    assert figures["我负责的档案"] == "1" and figures["我负责的一级风险儿童"] == "1"
    figures = _figures(login_as("coordinator").get("/").get_data(as_text=True))
    assert figures["在档档案"] == "2" and figures["未分派社工"] == "1"
