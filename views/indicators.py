"""Contract indicators: the overview, one indicator with its chart, breakdown
and evidence, the month close, the reports for the bureau and the indicators'
settings (the briefs and summaries: views.reports)."""

import json

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from models.briefs import (
    MonthClose,
    close_month,
    indicator_workbook,
    month_differences,
    year_summary_docx,
)
from models.clock import local_now, local_today
from models.contracts import Contract, current_contract
from models.errors import DomainError
from models.indicators import (
    AREAS,
    Indicator,
    Scope,
    measure,
    measure_all,
    month_end,
    plain_number,
)
from models.periods import period_label, periods_between
from models.reference import Township

from .base import SecureModelView, SecureView, audit, send_xlsx, user_townships
from .forms import SecureForm
from .links import details_url
from .reports import docx_response, refusal

STATUS_CLASSES = {"met": "success", "on_track": "info", "lagging": "warning", "at_risk": "danger"}


def _contract():
    wanted = request.args.get("contract", "")
    contract = Contract.objects(pk=wanted, voided=False).first() if len(wanted) == 24 else current_contract()
    if contract is None:
        abort(404)
    return contract


def _near_url(m, record) -> str | None:
    """The page of a near miss: a record, or a row read for the measure (of ``m.near_document``)."""
    if isinstance(record, dict):  # an archive read as a row, or a period or rule without a record
        return details_url(m.near_document, record["_id"]) if "_id" in record else None
    return details_url(type(record), record.pk)


EVIDENCE_PAGE = 50  # evidence and near misses per page


def _pager(arg: str, total: int) -> dict:
    """The page asked for in ``arg`` (1 when none or out of range) of ``total`` entries."""
    pages = max((total + EVIDENCE_PAGE - 1) // EVIDENCE_PAGE, 1)
    raw = request.args.get(arg, "1")
    number = int(raw) if raw.isdigit() and 1 <= int(raw) <= pages else 1
    return {"arg": arg, "number": number, "pages": pages, "offset": (number - 1) * EVIDENCE_PAGE, "total": total}


def _months_narrow(m) -> bool:
    """Whether the evidence narrows to a month of the chart (records dated in months)."""
    evidence = m.evidence
    return evidence is not None and evidence.entries is None and (evidence.part_field == "month"
                                                                   or evidence.parts_of is not None)


def _chart(m, indicator, scope) -> dict:
    """The monthly chart: this month's value, the running total (counts), the pace the target sets
    (the share of the service period passed at each month's end) and the target as a line."""
    this_month = scope.until.strftime("%Y-%m")
    cumulative, pace, running = [], [], 0
    cumulating = indicator.kind in ("count", "checklist") or (indicator.kind == "periodic" and m.unit != "%")
    total_days = (scope.end - scope.start).days + 1
    for key, value in m.series:
        running += value or 0
        cumulative.append(round(running, 2) if key <= this_month else None)
        passed = (min(month_end(key), scope.end) - scope.start).days + 1
        pace.append(round(indicator.target * max(passed, 0) / total_days, 1) if total_days > 0 else None)
    percent = m.unit == "%"
    per_period = indicator.kind == "periodic" and not percent and indicator.period == "month"
    return {"months": [period_label("month", k) for k, _ in m.series], "keys": [k for k, _ in m.series],
            "values": [v if k <= this_month else None for k, v in m.series],
            "cumulative": cumulative if cumulating else [], "pace": pace if cumulating and not per_period else [],
            "percent": percent, "unit": m.unit,
            "target": indicator.per_period if per_period else (indicator.target if (percent or cumulating) else None),
            "target_label": ("每月目标" if per_period else "目标") + f" {m.quantity(indicator.per_period if per_period else indicator.target)}",
            "link": url_for(".detail", code=indicator.code, contract=scope.contract.pk) if _months_narrow(m) else None}


def _label(record) -> str:
    if isinstance(record, dict):
        return record.get("name") or record.get("title") or ""
    return str(record)


class IndicatorsView(SecureView):
    area = "indicators"

    @expose("/")
    def index(self):
        contract = _contract()
        measurements = measure_all(contract, local_today(), user_townships())
        groups = [(label, [m for m in measurements if m.indicator.area == code]) for code, label in AREAS]
        counts = {status: sum(1 for m in measurements if m.status == status) for status in STATUS_CLASSES}
        return self.render("admin/indicators.html", contract=contract, groups=groups, counts=counts,
                           classes=STATUS_CLASSES, contracts=Contract.objects(voided=False).only("name"),
                           today=local_today(), may_write=current_user.can("indicators", "create"))

    @expose("/show/<code>/")
    def detail(self, code):
        contract = _contract()
        indicator = Indicator.objects(contract=contract.pk, code=code, voided=False).first()
        if indicator is None:
            abort(404)
        scope = Scope(contract, local_today(), user_townships())
        m = measure(indicator, scope, contract.lagging_share or 0.8)
        part = request.args.get("part") or None
        parts = {item["part"]: item["label"] for item in m.items if item.get("part")}
        if _months_narrow(m):
            parts.update({key: period_label("month", key) for key, _ in m.series})
        if part not in parts:
            part = None
        evidence, total, pager = [], 0, None
        if m.evidence is not None:
            shown = m.evidence.part(part) if part else m.evidence
            total = shown.count()
            pager = _pager("page", total)
            evidence = [{**row, "url": details_url(row.get("document"), row.get("id"))}
                        for row in shown.page(pager["offset"], EVIDENCE_PAGE)]
        near_pager = _pager("near_page", len(m.near_misses))
        near = [{"label": _label(record), "reason": reason, "url": _near_url(m, record)}
                for record, reason in m.near_misses[near_pager["offset"]:near_pager["offset"] + EVIDENCE_PAGE]]
        return self.render("admin/indicator_detail.html", m=m, indicator=indicator, contract=contract,
                           evidence=evidence, evidence_total=total, near=near, pager=pager, near_pager=near_pager,
                           part=part, part_label=parts.get(part), chart=json.dumps(_chart(m, indicator, scope),
                                                                                   ensure_ascii=False),
                           classes=STATUS_CLASSES, period_label=period_label)

    # -- month close ---------------------------------------------------------

    @expose("/close/", methods=("GET", "POST"))
    def close_view(self):
        contract = _contract()
        form = SecureForm(request.form if request.method == "POST" else None)
        if request.method == "POST":
            if not current_user.can("indicators", "create"):
                abort(403)
            if not form.validate():
                flash(refusal(form), "error")
            else:
                try:
                    closed = close_month(contract, request.form.get("month", ""), current_user._get_current_object())
                except DomainError as exc:
                    flash(exc.message, "error")
                else:
                    flash(f"{closed}：已冻结 {len(closed.figures)} 项指标的数据。", "success")
            return redirect(url_for(".close_view", contract=contract.pk))
        today = local_today()
        last = min(contract.end_date.date(), today)
        months = periods_between("month", contract.start_date.date(), last)
        closes = {c.month: c for c in MonthClose.objects(contract=contract.pk, voided=False)}
        selected = request.args.get("month")
        differences = month_differences(closes[selected]) if selected in closes else None
        rows = [{"month": key, "label": period_label("month", key), "close": closes.get(key),
                 "ended": month_end(key) < today} for key in months]
        return self.render("admin/month_close.html", contract=contract, rows=rows, form=form, selected=selected,
                           differences=differences, closed=closes.get(selected),
                           may_write=current_user.can("indicators", "create"), period_label=period_label)

    # -- reports ---------------------------------------------------------------

    @expose("/report/")
    def report(self):
        return self._export("指标完成情况及佐证（Excel）", lambda contract: send_xlsx(
            indicator_workbook(contract, local_today(), user_townships(), made_by=current_user.display_name),
            f"指标完成情况_{local_now():%Y%m%d}.xlsx"))

    @expose("/summary/")
    def summary(self):
        return self._export("年度总结（Word）", lambda contract: docx_response(
            year_summary_docx(contract, local_today(), user_townships()), f"{contract.name}年度总结.docx"))

    def _export(self, what: str, build):
        """A report for the bureau on the contract asked for, built by ``build(contract)``,
        the export audited (403 for those who may not export)."""
        if not current_user.can("indicators", "export"):
            abort(403)
        contract = _contract()
        response = build(contract)
        audit("export", collection="indicators", detail=f"导出“{contract.name}”{what}")
        return response

    @expose("/townships/")
    def townships(self):
        scope = user_townships()
        townships = Township.objects(voided=False).order_by("code")
        if scope is not None:
            townships = townships.filter(pk__in=scope)
        return self.render("admin/township_exports.html", townships=townships)


class IndicatorView(SecureModelView):
    """Targets, comparisons, periods and parameters, edited by the admin."""

    area = "contract"
    column_list = ("sort_order", "code", "name", "area", "kind", "op", "target", "unit", "period", "per_period",
                   "section")
    column_filters = ("contract", "area", "kind")
    column_searchable_list = ("code", "name", "section")
    column_default_sort = "sort_order"
    form_columns = ("contract", "code", "name", "area", "kind", "op", "target", "unit", "period", "per_period",
                    "section", "rule", "params", "sort_order")
    form_args = {"code": {"description": "系统按代码计算指标，请勿修改已有指标的代码。"},
                 "target": {"description": "比例类（覆盖率、比例、规则）为百分数，如 100、20、2。"},
                 "params": {"description": "如统计的对象类别、主题标签、培训对象；不需要时留空。", "default": ""}}
    form_widget_args = {"params": {"rows": 3}, "rule": {"rows": 2}}
    #: the code and the parameters drive the calculation: the admin who sets them sees them;
    #: everyone else reads the indicator's name and 计算口径
    code_columns = ("code", "params")
    column_details_exclude_list = (*SecureModelView.column_details_exclude_list, "params")
    column_formatters = {"target": lambda v, c, m, n: plain_number(m.target)}
    column_formatters_detail = column_formatters
