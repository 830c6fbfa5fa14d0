"""Subsidy supervision: import, reproducible samples of at least 2% and 20%,
spot checks with findings, rectification to closure."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from models.errors import DomainError
from models.services import snapshot, update_record
from models.subsidy import (
    SampleDraw,
    SpotCheck,
    SubsidyItem,
    draw_sample,
    import_subsidy_file,
    sample_indices,
)

from .conftest import submit


def workbook(kind, rows):
    book = Workbook()
    sheet = book.active
    if kind == "assessment":
        sheet.append(["评估编号", "姓名", "身份证号", "街道/乡镇", "评估机构", "评估日期", "评估等级"])
    else:
        sheet.append(["服务单号", "姓名", "身份证号", "街道/乡镇", "服务机构", "服务日期", "服务项目", "金额（元）"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def services(n, start=0):
    return [[f"FW{i:05d}", f"老人{i}", "", "东江街道" if i % 2 else "穿山街道", "爱心养老服务中心",
             dt.datetime(2026, 3, 1 + i % 28), "助餐", "25.50"] for i in range(start, start + n)]


def test_import_is_all_or_nothing_and_idempotent(app, accounts):
    bad = services(3) + [["", "无编号", "", "东江街道", "x", "2026-03-01", "助餐", "10"],
                         ["FW99999", "某", "", "不存在街道", "x", "2026-13-01", "助餐", "-5"]]
    with pytest.raises(DomainError) as refused:
        import_subsidy_file("service", workbook("service", bad), "services.xlsx", accounts["coordinator"])
    message = refused.value.message
    assert "文件有 2 行不能导入，未导入任何数据" in message
    assert "第 5 行：编号为空" in message and "街道/乡镇“不存在街道”不存在" in message and "看不懂" in message
    assert SubsidyItem.objects.count() == 0
    batch = import_subsidy_file("service", workbook("service", services(40)), "services.xlsx", accounts["coordinator"])
    assert batch.imported_count == 40 and SubsidyItem.objects.get(external_no="FW00001").amount_fen == 2550
    again = import_subsidy_file("service", workbook("service", services(45)), "services.xlsx", accounts["coordinator"])
    assert (again.imported_count, again.skipped_count) == (5, 40)
    with pytest.raises(DomainError, match="缺少“评估编号”列"):
        import_subsidy_file("assessment", workbook("service", services(1)), "x.xlsx", accounts["coordinator"])


def test_sample_is_reproducible_and_never_below_the_minimum_share():
    assert sample_indices(1000, 0.02, seed=7) == sample_indices(1000, 0.02, seed=7)
    assert sample_indices(1000, 0.02, seed=7) != sample_indices(1000, 0.02, seed=8)
    assert len(sample_indices(1000, 0.02, seed=1)) == 20
    assert len(sample_indices(101, 0.02, seed=1)) == 3  # 2.02 rounds up: never below 2%
    assert len(sample_indices(100, 0.20, seed=1)) == 20
    assert len(sample_indices(3, 0.02, seed=1)) == 1
    with pytest.raises(DomainError, match="没有可抽查的记录"):
        sample_indices(0, 0.2, seed=1)


def test_draw_records_its_seed_assigns_checks_and_refuses_bad_requests(app, accounts):
    import_subsidy_file("service", workbook("service", services(50)), "s.xlsx", accounts["coordinator"])
    inspectors = [accounts["staff"], accounts["staff2"]]
    with pytest.raises(DomainError, match="服务质量抽查的抽样比例不能低于 20%"):
        draw_sample("service", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 0.19, 5, inspectors, accounts["coordinator"])
    with pytest.raises(DomainError, match="没有可抽查的记录"):
        draw_sample("service", dt.date(2025, 1, 1), dt.date(2025, 1, 31), 0.2, 5, inspectors, accounts["coordinator"])
    with pytest.raises(DomainError, match="没有可抽查的记录"):
        draw_sample("assessment", dt.date(2026, 1, 1), dt.date(2026, 12, 31), 0.02, 5, inspectors,
                    accounts["coordinator"])
    assert SampleDraw.objects.count() == 0 and SpotCheck.objects.count() == 0
    first = draw_sample("service", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 0.2, 42, inspectors,
                        accounts["coordinator"])
    picked = sorted(c.item.external_no for c in SpotCheck.objects(draw=first))
    assert first.seed == 42 and first.population_size == 50 and first.sample_size == 10 and len(picked) == 10
    again = draw_sample("service", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 0.2, 42, inspectors,
                        accounts["coordinator"])
    assert sorted(c.item.external_no for c in SpotCheck.objects(draw=again)) == picked
    assigned = [c.assigned_to.username for c in SpotCheck.objects(draw=first)]
    assert assigned.count("shegong") == 5 and assigned.count("shegong2") == 5
    generated = draw_sample("service", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 0.2, None, inspectors,
                            accounts["coordinator"])
    assert generated.seed is not None


def test_spot_check_findings_and_rectification(app, accounts):
    import_subsidy_file("service", workbook("service", services(5)), "s.xlsx", accounts["coordinator"])
    draw_sample("service", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 0.2, 1, [accounts["coordinator"]],
                accounts["coordinator"])
    check = SpotCheck.objects.get()

    def save(**changes):
        record = SpotCheck.objects(pk=check.pk).get()
        before = snapshot(record)
        for key, value in changes.items():
            setattr(record, key, value)
        update_record(record, before, record.version, accounts["coordinator"])
        return record

    with pytest.raises(DomainError, match="请填写老人满意度"):
        save(checked_on=dt.datetime(2026, 4, 1), method="phone", findings=["none"])
    with pytest.raises(DomainError, match="发现问题时请填写整改期限"):
        save(checked_on=dt.datetime(2026, 4, 1), method="onsite", findings=["price_inflation"], satisfaction=2)
    with pytest.raises(DomainError, match="不能与其他问题同时选择"):
        save(checked_on=dt.datetime(2026, 4, 1), method="onsite", findings=["none", "fraud"], satisfaction=2)
    record = save(checked_on=dt.datetime(2026, 4, 1), method="onsite", findings=["price_inflation", "false_service"],
                  satisfaction=2, rectification_due=dt.datetime(2026, 4, 30))
    assert record.status == "rectifying"
    with pytest.raises(DomainError, match="请填写整改情况"):
        save(rectified_on=dt.datetime(2026, 4, 20))
    record = save(rectified_on=dt.datetime(2026, 4, 20), rectification_notes="已退还多收费用并整改")
    assert record.status == "closed"


def test_coordinator_draws_from_the_page_and_staff_see_their_townships(app, client, login_as, townships, accounts):
    import_subsidy_file("assessment", workbook("assessment", [
        [f"PG{i:04d}", f"老人{i}", "", "东江街道" if i < 60 else "穿山街道", "第三方评估公司", dt.datetime(2026, 2, 1),
         "轻度失能"] for i in range(100)]), "a.xlsx", accounts["coordinator"])
    login_as("coordinator")
    page = submit(client, "/subsidy/", {"kind": "assessment", "date_from": "2026-01-01", "date_to": "2026-06-30",
                                        "share": "1", "seed": "", "inspectors": [str(accounts["staff"].pk)]}
                  ).get_data(as_text=True)
    assert "实地核查的抽样比例不能低于 2%" in page and 'value="1"' in page
    response = submit(client, "/subsidy/", {"kind": "assessment", "date_from": "2026-01-01", "date_to": "2026-06-30",
                                            "share": "5", "seed": "2026",
                                            "inspectors": [str(accounts["staff"].pk), str(accounts["staff2"].pk)]})
    assert response.status_code == 302
    assert SampleDraw.objects.get().sample_size == 5
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert listing.count('name="rowid"') == 5
    staff_count = SpotCheck.objects(township=townships["东江街道"].pk).count()
    login_as("staff")
    assert client.get("/subsidy/").status_code == 200
    assert client.post("/subsidy/", data={}).status_code == 403
    assert 0 < staff_count < 5
    assert client.get("/spotcheck/").get_data(as_text=True).count("PG0") == staff_count
