"""The contract budget split into lines, the expense ledger, and transfers
between lines (结余资金统筹使用). All amounts are integer fen."""

import datetime as dt

from mongoengine import (
    BooleanField,
    DateTimeField,
    FileField,
    IntField,
    ReferenceField,
    StringField,
)

from .base import DISTRICT_WIDE, TrackedDocument, ref_id
from .clock import local_today
from .contracts import Contract
from .errors import DomainError
from .money import FenField, format_yuan, yuan_decimal
from .periods import period_keys, period_label
from .spreadsheets import DATE, PERCENT, YUAN, Column, Row, Sheet, TitleBlock, write_workbook

LINE_KINDS = (("staff", "人员经费"), ("activities", "活动经费"), ("materials", "物资费用"), ("publicity", "宣传费用"),
              ("adoption", "收养评估（据实结算）"), ("training", "培训督导"), ("office", "办公运营"), ("other", "其他"))
EXPENSE_STATES = (("paid", "已支付"), ("committed", "已承诺（待支付）"))


class BudgetLine(TrackedDocument):
    contract = ReferenceField(Contract, required=True, verbose_name="合同")
    name = StringField(required=True, max_length=60, verbose_name="预算科目")
    kind = StringField(required=True, choices=LINE_KINDS, verbose_name="类别")
    planned_fen = FenField(allow_zero=True, required=True, default=0, verbose_name="预算金额（元）")
    actual_cost_only = BooleanField(default=False, verbose_name="据实结算（结余统筹使用）")
    sort_order = IntField(default=0, verbose_name="排序")
    notes = StringField(max_length=500, verbose_name="说明")

    meta = {"collection": "budget_lines", "ordering": ["sort_order", "name"], "indexes": ["kind", "contract"]}
    scope_field = DISTRICT_WIDE  # the contract's budget

    def __str__(self):
        return self.name or "预算科目"

    def check_rules(self):
        if self.planned_fen is None or self.planned_fen < 0:
            raise DomainError("预算金额不能为负数。", field="planned_fen")
        if self.voided:
            return
        contract_id = ref_id(self._data.get("contract"))
        same = BudgetLine.objects(contract=contract_id, voided=False, pk__ne=self.pk)
        if same.filter(name=self.name).first() is not None:
            raise DomainError(f"本合同已有预算科目“{self.name}”。", field="name")
        others = sum(line.planned_fen or 0 for line in same.only("planned_fen"))
        contract = Contract.objects(pk=contract_id).first()
        if contract is not None and others + self.planned_fen > contract.budget_fen:
            raise DomainError(
                f"各科目预算合计 {format_yuan(others + self.planned_fen)} 超过合同预算 {format_yuan(contract.budget_fen)}："
                f"本科目最多可设 {format_yuan(contract.budget_fen - others)}。", field="planned_fen")


class Expense(TrackedDocument):
    contract = ReferenceField(Contract, verbose_name="合同")
    line = ReferenceField(BudgetLine, required=True, verbose_name="预算科目")
    spent_on = DateTimeField(required=True, verbose_name="日期")
    amount_fen = FenField(required=True, verbose_name="金额（元）")
    status = StringField(required=True, choices=EXPENSE_STATES, default="paid", verbose_name="状态")
    payee = StringField(required=True, max_length=80, verbose_name="收款方")
    purpose = StringField(required=True, max_length=300, verbose_name="用途")
    voucher_number = StringField(max_length=40, verbose_name="凭证号")
    receipt = FileField(collection_name="expense_files", verbose_name="票据扫描件")
    event = ReferenceField("CommunityEvent", verbose_name="关联活动")
    training = ReferenceField("Training", verbose_name="关联培训")
    adoption = ReferenceField("AdoptionAssessment", verbose_name="关联收养评估")
    over_budget = BooleanField(default=False, verbose_name="超出科目余额")
    over_budget_reason = StringField(max_length=500, verbose_name="超支说明")
    year = StringField(verbose_name="年度")
    month = StringField(verbose_name="月份")
    line_month = StringField(verbose_name="科目与月份")

    meta = {"collection": "expenses", "ordering": ["-spent_on"],
            "indexes": ["over_budget", "payee", "contract", "line", ("-spent_on", "-id"), "month", "line_month", "status"]}
    scope_field = DISTRICT_WIDE  # the contract's expense ledger
    file_fields = ("receipt",)
    unaudited_fields = frozenset({"year", "month", "line_month", "contract"})

    def __str__(self):
        when = f"{self.spent_on:%Y-%m-%d} " if self.spent_on else ""
        return f"{when}{self.purpose or ''} {format_yuan(self.amount_fen)}".strip()

    def prepare(self):
        line = self.line
        if line is not None and not isinstance(line, BudgetLine):
            line = BudgetLine.objects(pk=ref_id(line)).first()
        if line is not None:
            self.contract = ref_id(line._data.get("contract"))
        if self.spent_on:
            keys = period_keys(self.spent_on)
            self.year, self.month = keys["year"], keys["month"]
            self.line_month = f"{ref_id(self._data.get('line'))}|{self.month}"

    def check_rules(self):
        if self.amount_fen is None or self.amount_fen <= 0:
            raise DomainError("金额必须大于 0。", field="amount_fen")
        contract = Contract.objects(pk=ref_id(self._data.get("contract"))).first()
        line = BudgetLine.objects(pk=ref_id(self._data.get("line"))).first()
        if contract is None or line is None or line.voided:
            raise DomainError("请选择有效的预算科目。", field="line")
        if self.spent_on and not contract.covers(self.spent_on):
            raise DomainError(f"日期不在合同服务期内（{contract.start_date:%Y-%m-%d} 至 {contract.end_date:%Y-%m-%d}）。",
                              field="spent_on")
        if self.voided:
            return
        remaining = line_remaining(line, exclude_expense=self.pk)
        self.over_budget = self.amount_fen > remaining
        if self.over_budget and not (self.over_budget_reason or "").strip():
            raise DomainError(
                f"超出科目“{line.name}”的余额：余额 {format_yuan(remaining)}，本笔 {format_yuan(self.amount_fen)}。"
                "确需支出请在“超支说明”中写明原因（将被标记为超支）。", field="over_budget_reason")


class BudgetTransfer(TrackedDocument):
    contract = ReferenceField(Contract, verbose_name="合同")
    from_line = ReferenceField(BudgetLine, required=True, verbose_name="调出科目")
    to_line = ReferenceField(BudgetLine, required=True, verbose_name="调入科目")
    amount_fen = FenField(required=True, verbose_name="金额（元）")
    transferred_on = DateTimeField(required=True, verbose_name="日期")
    reason = StringField(required=True, max_length=500, verbose_name="原因")

    meta = {"collection": "budget_transfers", "ordering": ["-transferred_on"], "indexes": [("-transferred_on", "-id"), "contract"]}
    scope_field = DISTRICT_WIDE  # transfers between the contract's budget lines
    unaudited_fields = frozenset({"contract"})

    def __str__(self):
        return f"{self.from_line} → {self.to_line} {format_yuan(self.amount_fen)}"

    def prepare(self):
        source = BudgetLine.objects(pk=ref_id(self._data.get("from_line"))).first()
        if source is not None:
            self.contract = ref_id(source._data.get("contract"))

    def check_rules(self):
        if self.amount_fen is None or self.amount_fen <= 0:
            raise DomainError("金额必须大于 0。", field="amount_fen")
        source = BudgetLine.objects(pk=ref_id(self._data.get("from_line"))).first()
        target = BudgetLine.objects(pk=ref_id(self._data.get("to_line"))).first()
        if source is None or target is None:
            raise DomainError("请选择调出和调入科目。", field="from_line")
        if source.pk == target.pk:
            raise DomainError("调出和调入科目不能相同。", field="to_line")
        if ref_id(source._data.get("contract")) != ref_id(target._data.get("contract")):
            raise DomainError("调出和调入科目须属于同一合同。", field="to_line")
        if not (self.reason or "").strip():
            raise DomainError("请写明调剂原因。", field="reason")
        contract = Contract.objects(pk=ref_id(source._data.get("contract"))).first()
        if self.transferred_on and not contract.covers(self.transferred_on):
            raise DomainError("日期不在合同服务期内。", field="transferred_on")
        if self.voided:
            return
        available = line_remaining(source, exclude_transfer=self.pk)
        if self.amount_fen > available:
            raise DomainError(f"调出科目“{source.name}”余额只有 {format_yuan(available)}，不能调出 "
                              f"{format_yuan(self.amount_fen)}。", field="amount_fen")


def _sums(collection, match: dict, key: str) -> dict:
    pipeline = [{"$match": {**match, "voided": False}}, {"$group": {"_id": f"${key}", "n": {"$sum": "$amount_fen"}}}]
    return {row["_id"]: row["n"] for row in collection.aggregate(pipeline)}


def line_remaining(line: BudgetLine, exclude_expense=None, exclude_transfer=None) -> int:
    """What is left on a line: planned + transfers in − transfers out − spent − committed."""
    expense_match = {"line": line.pk}
    if exclude_expense is not None:
        expense_match["_id"] = {"$ne": exclude_expense}
    spent = sum(_sums(Expense._get_collection(), expense_match, "line").values())
    transfer_filter = {} if exclude_transfer is None else {"_id": {"$ne": exclude_transfer}}
    transfers = BudgetTransfer._get_collection()
    incoming = sum(_sums(transfers, {"to_line": line.pk, **transfer_filter}, "to_line").values())
    outgoing = sum(_sums(transfers, {"from_line": line.pk, **transfer_filter}, "from_line").values())
    return (line.planned_fen or 0) + incoming - outgoing - spent


def budget_summary(contract: Contract) -> dict:
    """Per line and in total: planned, transfers, adjusted budget, paid, committed,
    remaining; and a month-by-line matrix of paid and committed spending. A fixed
    number of queries whatever the number of expenses."""
    lines = list(BudgetLine.objects(contract=contract.pk, voided=False))
    expenses, transfers = Expense._get_collection(), BudgetTransfer._get_collection()
    paid = _sums(expenses, {"contract": contract.pk, "status": "paid"}, "line")
    committed = _sums(expenses, {"contract": contract.pk, "status": "committed"}, "line")
    incoming = _sums(transfers, {"contract": contract.pk}, "to_line")
    outgoing = _sums(transfers, {"contract": contract.pk}, "from_line")
    by_line_month = _sums(expenses, {"contract": contract.pk}, "line_month")
    rows = []
    for line in lines:
        adjusted = (line.planned_fen or 0) + incoming.get(line.pk, 0) - outgoing.get(line.pk, 0)
        row = {"line": line, "planned": line.planned_fen or 0, "transfer_in": incoming.get(line.pk, 0),
               "transfer_out": outgoing.get(line.pk, 0), "budget": adjusted, "paid": paid.get(line.pk, 0),
               "committed": committed.get(line.pk, 0)}
        row["remaining"] = adjusted - row["paid"] - row["committed"]
        rows.append(row)
    totals = {key: sum(r[key] for r in rows) for key in
              ("planned", "transfer_in", "transfer_out", "budget", "paid", "committed", "remaining")}
    months = sorted({key.split("|")[1] for key in by_line_month if key})
    matrix = []
    for month in months:
        cells = [by_line_month.get(f"{line.pk}|{month}", 0) for line in lines]
        matrix.append({"month": month, "cells": cells, "total": sum(cells)})
    return {"contract": contract, "lines": rows, "totals": totals, "unallocated": contract.budget_fen - totals["planned"],
            "budget": contract.budget_fen, "months": matrix}


def budget_workbook(contract: Contract, made_by: str = "", today: dt.date | None = None):
    """The budget as an .xlsx file on disk: execution per line, spending per
    month, the expense ledger (streamed) and the transfers. Amounts in yuan as
    exact decimals with the ¥ format; the execution rate ((paid + committed) /
    budget, as on the budget page) as a share."""
    summary = budget_summary(contract)
    state_labels = dict(EXPENSE_STATES)
    amounts = ("planned", "transfer_in", "transfer_out", "budget", "paid", "committed", "remaining")

    def rate(row) -> float | None:
        return (row["paid"] + row["committed"]) / row["budget"] if row["budget"] else None

    execution = [[r["line"].name, dict(LINE_KINDS).get(r["line"].kind, ""), *(yuan_decimal(r[k]) for k in amounts),
                  rate(r)] for r in summary["lines"]]
    totals = summary["totals"]
    execution.append(Row(["合计", "", *(yuan_decimal(totals[k]) for k in amounts), rate(totals)]))
    execution.append(Row(["未分配到科目", "", yuan_decimal(summary["unallocated"])]))
    execution.append(Row(["合同预算", "", yuan_decimal(summary["budget"])]))
    names = [r["line"].name for r in summary["lines"]]
    monthly = [[period_label("month", m["month"], with_year=True), *(yuan_decimal(c) for c in m["cells"]), yuan_decimal(m["total"])]
               for m in summary["months"]]
    line_names = {r["line"].pk: r["line"].name for r in summary["lines"]}

    def ledger():
        for expense in Expense.objects(contract=contract.pk, voided=False).order_by("spent_on").batch_size(500):
            yield [expense.spent_on, line_names.get(ref_id(expense._data.get("line")), ""), yuan_decimal(expense.amount_fen),
                   state_labels.get(expense.status, ""), expense.payee, expense.purpose, expense.voucher_number or "",
                   "是" if expense.over_budget else "", expense.over_budget_reason or "",
                   "有" if expense.receipt and expense.receipt.grid_id else "无"]

    transfers = [[t.transferred_on, line_names.get(ref_id(t._data.get("from_line")), ""),
                  line_names.get(ref_id(t._data.get("to_line")), ""), yuan_decimal(t.amount_fen), t.reason]
                 for t in BudgetTransfer.objects(contract=contract.pk, voided=False).order_by("transferred_on")]
    money = [Column(label, YUAN) for label in ("预算", "调入", "调出", "调整后预算", "已支付", "已承诺", "余额")]
    block = TitleBlock.for_contract("经费执行情况", contract, made_by=made_by, as_of=today or local_today())
    return write_workbook([
        Sheet("预算执行", ["预算科目", "类别", *money, Column("执行率", PERCENT)], execution),
        Sheet("月度支出", ["月份", *(Column(name, YUAN) for name in names), Column("合计", YUAN)], monthly),
        Sheet("支出明细", [Column("日期", DATE), "预算科目", Column("金额", YUAN), "状态", "收款方", "用途", "凭证号", "超支",
                       "超支说明", "票据"], ledger()),
        Sheet("科目调剂", [Column("日期", DATE), "调出科目", "调入科目", Column("金额", YUAN), "原因"], transfers),
    ], block)
