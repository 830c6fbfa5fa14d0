"""Budget lines, the expense ledger, transfers and the budget page: amounts
exact to the fen, the over-budget rule, the pooled balance of adoption
assessments, and who may do what."""

import datetime as dt
import io
import random
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from models.audit import AuditEntry
from models.budget import BudgetLine, BudgetTransfer, Expense, budget_summary, line_remaining
from models.contracts import Contract, current_contract
from models.errors import DomainError
from models.money import format_yuan, parse_yuan
from models.services import create_record, snapshot, update_record
from tests.workbooks import table

from .conftest import submit
from .helpers import png_bytes

DAY = "2026-03-15"


def lines(names=("活动经费", "收养评估", "宣传费用")):
    contract = current_contract(dt.date(2026, 3, 1))
    return {line.name: line for line in BudgetLine.objects(contract=contract.pk) if line.name in names}


def set_planned(line, yuan: str, actor=None):
    before = snapshot(line)
    line.planned_fen = parse_yuan(yuan)
    update_record(line, before, line.version, actor)
    return line


def expense(line, yuan, day=dt.datetime(2026, 3, 15), actor=None, **extra):
    data = {"line": line, "spent_on": day, "amount_fen": parse_yuan(yuan), "payee": "文具店", "purpose": "活动物资"}
    data.update(extra)
    return create_record(Expense(**data), actor)


def test_amounts_are_parsed_exactly_and_bad_ones_refused():
    assert parse_yuan("1280.5") == 128050
    assert parse_yuan("¥1,234.56") == 123456
    assert parse_yuan("0.01") == 1
    assert parse_yuan("0.10") == 10
    assert format_yuan(123456) == "¥1,234.56" and format_yuan(5) == "¥0.05"
    for bad, message in (("-5", "大于 0"), ("0", "大于 0"), ("12.345", "两位小数"), ("abc", "格式不正确"),
                         ("", "请填写金额"), ("nan", "格式不正确")):
        with pytest.raises(DomainError, match=message):
            parse_yuan(bad)


def test_default_contract_is_seeded_with_its_budget_and_lines(app):
    contract = current_contract(dt.date(2026, 6, 1))
    assert contract.name == "2026年七星区民政服务站项目" and contract.budget_fen == 34500000
    assert contract.buyer == "七星区民政局"
    names = [line.name for line in BudgetLine.objects(contract=contract.pk)]
    assert "收养评估" in names and "活动经费" in names
    assert BudgetLine.objects(name="收养评估").first().actual_cost_only


def test_contract_rules(app, accounts):
    with pytest.raises(DomainError, match="预算金额必须大于 0"):
        create_record(Contract(name="x", station="s", buyer="b", provider="p", budget_fen=0,
                               start_date=dt.datetime(2027, 1, 1), end_date=dt.datetime(2027, 12, 31)), None)
    with pytest.raises(DomainError, match="结束日期不能早于开始日期"):
        create_record(Contract(name="x", station="s", buyer="b", provider="p", budget_fen=100,
                               start_date=dt.datetime(2027, 1, 1), end_date=dt.datetime(2026, 12, 31)), None)
    with pytest.raises(DomainError, match="服务期重叠"):
        create_record(Contract(name="续签", station="七星区民政服务站", buyer="b", provider="p", budget_fen=100,
                               start_date=dt.datetime(2026, 12, 1), end_date=dt.datetime(2027, 11, 30)), None)
    follow_on = create_record(Contract(name="2027年项目", station="七星区民政服务站", buyer="七星区民政局", provider="p",
                                       budget_fen=100, start_date=dt.datetime(2027, 1, 1),
                                       end_date=dt.datetime(2027, 12, 31)), None)
    assert current_contract(dt.date(2027, 5, 1)).pk == follow_on.pk
    assert current_contract(dt.date(2026, 5, 1)).name == "2026年七星区民政服务站项目"


def test_lines_cannot_exceed_the_contract_budget(app):
    line = lines()["活动经费"]
    set_planned(line, "300000.00")
    with pytest.raises(DomainError, match="超过合同预算.*最多可设 ¥45,000.00"):
        set_planned(lines()["宣传费用"], "45000.01")
    set_planned(lines()["宣传费用"], "45000.00")


def test_budget_arithmetic_is_exact_to_the_fen_over_thousands_of_entries(app, client, login_as):
    activities = set_planned(lines()["活动经费"], "300000.00")
    generator = random.Random(20260315)
    amounts = [generator.randint(1, 29999) for _ in range(2500)]  # 0.01 .. 299.99 yuan: floats drift on these
    rows = []
    for index, fen in enumerate(amounts):
        record = Expense(line=activities, spent_on=dt.datetime(2026, 1 + index % 12, 1 + index % 28), amount_fen=fen,
                         status="committed" if index % 5 == 0 else "paid", payee="店", purpose="物资")
        record.prepare()
        rows.append(record.to_mongo().to_dict())
    Expense._get_collection().insert_many(rows)
    summary = budget_summary(current_contract(dt.date(2026, 3, 1)))
    row = next(r for r in summary["lines"] if r["line"].name == "活动经费")
    expected_paid = sum(Decimal(f) / 100 for i, f in enumerate(amounts) if i % 5)
    expected_committed = sum(Decimal(f) / 100 for i, f in enumerate(amounts) if i % 5 == 0)
    assert Decimal(row["paid"]) / 100 == expected_paid
    assert Decimal(row["committed"]) / 100 == expected_committed
    assert row["remaining"] == 30000000 - sum(amounts)
    assert sum(m["total"] for m in summary["months"]) == sum(amounts)
    assert len(summary["months"]) == 12
    page = login_as("coordinator").get("/budget/").get_data(as_text=True)
    assert format_yuan(sum(amounts[i] for i in range(len(amounts)) if i % 5)) in page

    export = client.get("/budget/export/")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.data))["预算执行"]
    by_name = {r["预算科目"]: r for r in table(sheet)}
    assert Decimal(str(by_name["活动经费"]["已支付"])) == expected_paid
    assert Decimal(str(by_name["合计"]["余额"])) == (Decimal(30000000 - sum(amounts)) / 100)
    ledger = load_workbook(io.BytesIO(export.data))["支出明细"]
    assert len(table(ledger)) == 2500


def test_an_expense_over_the_line_needs_a_reason_and_is_flagged(app, accounts):
    activities = set_planned(lines()["活动经费"], "1000.00")
    expense(activities, "800.00")
    with pytest.raises(DomainError, match=r"超出科目“活动经费”的余额：余额 ¥200.00，本笔 ¥300.00"):
        expense(activities, "300.00")
    assert Expense.objects.count() == 1
    flagged = expense(activities, "300.00", over_budget_reason="六一活动人数增加，经主管同意")
    assert flagged.over_budget
    assert line_remaining(activities) == -10000
    with pytest.raises(DomainError, match="余额 ¥0.00，本笔 ¥0.01"):  # a line with no budget set yet
        expense(lines()["宣传费用"], "0.01")


def test_expense_form_refuses_bad_input_and_keeps_it(app, client, login_as):
    activities = set_planned(lines()["活动经费"], "1000.00")
    login_as("coordinator")
    base = {"line": str(activities.pk), "spent_on": DAY, "status": "paid", "payee": "某某文具店", "purpose": "签到表印刷"}
    for amount, message in (("-5", "金额必须大于 0"), ("0", "金额必须大于 0"), ("12.345", "最多保留两位小数")):
        page = submit(client, "/expense/new/", {**base, "amount_fen": amount}).get_data(as_text=True)
        assert message in page and "某某文具店" in page
    page = submit(client, "/expense/new/", {**base, "amount_fen": "50", "spent_on": "2025-12-31"}).get_data(as_text=True)
    assert "日期不在合同服务期内（2026-01-01 至 2026-12-31）" in page
    page = submit(client, "/expense/new/", {**base, "amount_fen": "1500"}).get_data(as_text=True)
    assert "超出科目“活动经费”的余额" in page and "签到表印刷" in page
    assert Expense.objects.count() == 0
    response = submit(client, "/expense/new/", {**base, "amount_fen": "1500", "over_budget_reason": "追加印刷"})
    assert response.status_code == 302
    saved = Expense.objects.get()
    assert saved.amount_fen == 150000 and saved.over_budget
    assert AuditEntry.objects(collection="expenses", action="create").count() == 1


def test_receipt_scan_is_stored_and_served_to_finance_roles_only(app, client, login_as):
    activities = set_planned(lines()["活动经费"], "1000.00")
    login_as("coordinator")
    data = {"line": str(activities.pk), "spent_on": DAY, "status": "paid", "payee": "印刷厂", "purpose": "宣传册",
            "amount_fen": "320.50", "receipt_upload": (io.BytesIO(png_bytes()), "发票.png")}
    response = submit(client, "/expense/new/", data, content_type="multipart/form-data")
    assert response.status_code == 302
    saved = Expense.objects.get()
    assert saved.receipt.grid_id
    file_url = f"/expense/api/file/?id={saved.receipt.grid_id}"
    download = client.get(file_url)
    assert download.status_code == 200 and download.mimetype == "image/png"
    assert "查看文件" in client.get("/expense/").get_data(as_text=True)
    assert login_as("manager").get(file_url).status_code == 200
    assert login_as("staff").get(file_url).status_code == 403


def test_adoption_balance_is_pooled_by_a_transfer_with_its_reason(app, accounts, client, login_as):
    adoption = set_planned(lines()["收养评估"], "6000.00")
    activities = set_planned(lines()["活动经费"], "1000.00")
    expense(adoption, "4200.50", payee="评估机构", purpose="收养评估（第1例）据实结算")
    assert line_remaining(adoption) == 179950
    page = login_as("coordinator").get("/budget/").get_data(as_text=True)
    assert "结余统筹使用" in page and "amount=1799.50" in page
    with pytest.raises(DomainError, match="余额只有 ¥1,799.50"):
        create_record(BudgetTransfer(from_line=adoption, to_line=activities, amount_fen=179951,
                                     transferred_on=dt.datetime(2026, 12, 1), reason="统筹"), None)
    with pytest.raises(DomainError, match="不能相同"):
        create_record(BudgetTransfer(from_line=adoption, to_line=adoption, amount_fen=100,
                                     transferred_on=dt.datetime(2026, 12, 1), reason="统筹"), None)
    form = {"from_line": str(adoption.pk), "to_line": str(activities.pk), "amount_fen": "1799.50",
            "transferred_on": "2026-11-20", "reason": ""}
    page = submit(client, "/budgettransfer/new/", form).get_data(as_text=True)
    assert "原因" in page and BudgetTransfer.objects.count() == 0
    form["reason"] = "收养评估按实际开销据实结算，结余资金统筹使用"
    assert submit(client, "/budgettransfer/new/", form).status_code == 302
    summary = {r["line"].name: r for r in budget_summary(current_contract(dt.date(2026, 3, 1)))["lines"]}
    assert summary["收养评估"]["remaining"] == 0 and summary["收养评估"]["transfer_out"] == 179950
    assert summary["活动经费"]["budget"] == 100000 + 179950
    page = client.get("/budget/").get_data(as_text=True)
    assert "¥2,799.50" in page  # the adjusted budget of 活动经费


def test_who_may_do_what_with_money(app, client, login_as):
    line = lines()["活动经费"]
    for role in ("manager",):
        login_as(role)
        assert client.get("/budget/").status_code == 200
        assert client.get("/expense/").status_code == 200
        assert client.get("/expense/new/").status_code == 403
        assert client.post("/expense/new/", data={}).status_code == 403
        assert client.get("/budgetline/new/").status_code == 403
    login_as("staff")
    for url in ("/budget/", "/expense/", "/budgetline/", "/contract/", "/budget/export/"):
        assert client.get(url).status_code == 403
    login_as("coordinator")
    assert client.get(f"/budgetline/edit/?id={line.pk}").status_code == 403
    assert client.get("/expense/new/").status_code == 200
    login_as("admin")
    response = submit(client, f"/budgetline/edit/?id={line.pk}",
                      {"contract": str(line._data["contract"].id), "name": "活动经费", "kind": "activities",
                       "planned_fen": "12,000.00", "sort_order": "2", "record_version": str(line.version)},
                      post_url=f"/budgetline/edit/?id={line.pk}")
    assert response.status_code == 302
    assert BudgetLine.objects(pk=line.pk).get().planned_fen == 1200000
    entry = AuditEntry.objects(collection="budget_lines", action="update").first()
    assert [(c.label, c.old, c.new) for c in entry.changes] == [("预算金额（元）", "¥0.00", "¥12,000.00")]
