"""The contract, its budget lines, the expense ledger, transfers between lines
and the budget page with its Excel export."""

from flask import abort, request, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import FileField

from models.budget import BudgetLine, budget_summary, budget_workbook
from models.clock import local_now, local_today
from models.contracts import Contract, current_contract
from models.money import format_yuan

from .base import SecureModelView, SecureView, audit, choosable, send_xlsx


class ContractView(SecureModelView):
    area = "contract"
    date_fields = ("start_date", "end_date")
    column_list = ("name", "station", "buyer", "provider", "budget_fen", "start_date", "end_date")
    form_columns = ("name", "station", "buyer", "provider", "budget_fen", "start_date", "end_date", "scope", "notes")
    column_searchable_list = ("name", "provider")
    form_args = {"provider": {"description": "工作简报与年度总结的编发单位，发布简报前须填写。"}}

    def details_links(self, model):
        return [("预算执行情况", url_for("budget.index", contract=model.pk))]


class BudgetLineView(SecureModelView):
    area = "contract"
    column_list = ("contract", "name", "kind", "planned_fen", "actual_cost_only", "sort_order")
    column_filters = ("contract", "kind")
    form_columns = ("contract", "name", "kind", "planned_fen", "actual_cost_only", "sort_order", "notes")
    form_args = {"actual_cost_only": {"description": "如收养评估：据实开支，结余可调入其他科目统筹使用。"}}

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET" and form.contract.data is None:
            form.contract.data = current_contract()
        return form


def _line_choices(form):
    """Lines of the current contract first; voided lines never."""
    if "line" in form and hasattr(form.line, "queryset"):
        form.line.queryset = choosable(BudgetLine).order_by("sort_order")


def _over_budget(view, context, model, name):
    if not model.over_budget:
        return ""
    return Markup(f'<span class="badge badge-danger" title="{escape(model.over_budget_reason or "")}">超支</span>')


class ExpenseView(SecureModelView):
    area = "finance"
    date_fields = ("spent_on",)
    file_uploads = {"receipt": ("票据扫描件（发票、收据或转账凭证，图片或 PDF）", False)}
    form_ajax_refs = {"event": {"fields": ("title",), "minimum_input_length": 0, "placeholder": "输入活动名称"},
                      "training": {"fields": ("title",), "minimum_input_length": 0, "placeholder": "输入培训主题"},
                      "adoption": {"fields": ("case_number",), "minimum_input_length": 0,
                                   "placeholder": "输入收养评估编号"}}
    column_list = ("spent_on", "line", "amount_fen", "status", "payee", "purpose", "over_budget", "receipt")
    column_formatters = {"over_budget": _over_budget}
    column_details_exclude_list = ("version", "year", "month", "line_month")
    column_filters = ("line", "status", "month", "over_budget", "spent_on", "payee")
    column_searchable_list = ("payee", "purpose", "voucher_number")
    column_default_sort = ("spent_on", True)
    form_columns = ("line", "spent_on", "amount_fen", "status", "payee", "purpose", "voucher_number",
                    "receipt_upload", "event", "training", "adoption", "over_budget_reason")
    form_extra_fields = {"receipt_upload": FileField("票据扫描件", description="发票、收据或转账凭证的照片或 PDF。",
                                                     render_kw={"accept": "image/*,.pdf", "capture": "environment"})}
    form_args = {"over_budget_reason": {"description": "仅在本笔超出该科目余额时填写；填写后仍可保存，并标记为超支。"}}
    form_widget_args = {"over_budget_reason": {"rows": 2}}

    def create_form(self, obj=None):
        form = super().create_form(obj)
        _line_choices(form)
        if request.method == "GET":
            form.spent_on.data = local_today()
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        _line_choices(form)
        return form



class BudgetTransferView(SecureModelView):
    area = "finance"
    date_fields = ("transferred_on",)
    column_list = ("transferred_on", "from_line", "to_line", "amount_fen", "reason")
    column_default_sort = ("transferred_on", True)
    form_columns = ("from_line", "to_line", "amount_fen", "transferred_on", "reason")
    form_widget_args = {"reason": {"rows": 2}}

    def create_form(self, obj=None):
        form = super().create_form(obj)
        for name in ("from_line", "to_line"):
            form[name].queryset = choosable(BudgetLine).order_by("sort_order")
        if request.method == "GET":
            form.transferred_on.data = local_today()
            source = request.args.get("from")
            if source and len(source) == 24:
                form.from_line.data = choosable(BudgetLine).filter(pk=source).first()
            form.amount_fen.data = request.args.get("amount", "")[:20]
            form.reason.data = request.args.get("reason", "")[:300] or None
        return form


class BudgetView(SecureView):
    """预算执行: spent, committed and remaining per line, by month."""

    area = "finance"

    def _contract(self):
        wanted = request.args.get("contract", "")
        contract = Contract.objects(pk=wanted, voided=False).first() if len(wanted) == 24 else current_contract()
        if contract is None:
            abort(404)
        return contract

    @expose("/")
    def index(self):
        contract = self._contract()
        summary = budget_summary(contract)
        contracts = list(Contract.objects(voided=False).only("name"))
        return self.render("admin/budget.html", summary=summary, contracts=contracts, yuan=format_yuan,
                           can_record=current_user.can("finance", "create"),
                           pooled_reason="收养评估按实际开销据实结算，结余资金统筹使用")

    @expose("/export/")
    def export(self):
        if not current_user.can("finance", "export"):
            abort(403)
        contract = self._contract()
        path = budget_workbook(contract, made_by=current_user.display_name, today=local_today())
        audit("export", collection="expenses", detail=f"导出“{contract.name}”经费执行情况（Excel）")
        return send_xlsx(path, f"经费执行情况_{local_now():%Y%m%d_%H%M}.xlsx")
