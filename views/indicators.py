"""Contract indicators: the overview, one indicator with its chart, breakdown
and evidence, the month close, the monthly brief and the reports for the
bureau."""

import datetime as dt
import json

from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from models.briefs import (
    DOCX_TYPE,
    MonthClose,
    close_month,
    current_month_key,
    draft_brief,
    draft_summary,
    indicator_workbook,
    issue_report,
    issued_versions,
    month_differences,
    regenerate,
    report_docx,
    report_filename,
    year_summary_docx,
)
from models.clock import local_now, local_today
from models.contracts import Contract, current_contract
from models.errors import DomainError
from models.indicators import (
    AREAS,
    Indicator,
    Scope,
    _number,
    measure,
    measure_all,
    month_end,
)
from models.periods import period_label, periods_between
from models.reference import Township

from .base import SecureModelView, SecureView, audit, content_disposition, send_xlsx, user_townships
from .forms import SecureForm, csrf_failed

DOCX_MIMETYPE = DOCX_TYPE
STATUS_CLASSES = {"met": "success", "on_track": "info", "lagging": "warning", "at_risk": "danger"}


def _contract():
    wanted = request.args.get("contract", "")
    contract = Contract.objects(pk=wanted, voided=False).first() if len(wanted) == 24 else current_contract()
    if contract is None:
        abort(404)
    return contract


def _link(record, endpoint: str) -> str | None:
    pk = getattr(record, "pk", None) or (record.get("_id") if isinstance(record, dict) else None)
    if pk is None:
        return None
    return url_for(f"{endpoint}.details_view", id=pk)


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
            for row in shown.page(pager["offset"], EVIDENCE_PAGE):
                evidence.append({**row, "url": url_for(f"{row['endpoint']}.details_view", id=row["id"])
                                 if row.get("endpoint") and row.get("id") is not None else None})
        endpoint = m.evidence.endpoint if m.evidence else None
        near_pager = _pager("near_page", len(m.near_misses))
        near = []
        for record, reason in m.near_misses[near_pager["offset"]:near_pager["offset"] + EVIDENCE_PAGE]:
            if isinstance(record, dict):  # an archive read as a row, or a period or rule without a record
                url = _link(record, "archive") if "_id" in record else None
            else:
                url = _link(record, endpoint) if endpoint else None
            near.append({"label": _label(record), "reason": reason, "url": url})
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
                flash(form.csrf_token.errors[0] if csrf_failed(form) else "提交无效，请重试。", "error")
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
        if not current_user.can("indicators", "export"):
            abort(403)
        contract = _contract()
        path = indicator_workbook(contract, local_today(), user_townships(), made_by=current_user.display_name)
        audit("export", collection="indicators", detail=f"导出“{contract.name}”指标完成情况及佐证（Excel）")
        return send_xlsx(path, f"指标完成情况_{local_now():%Y%m%d}.xlsx")

    @expose("/summary/")
    def summary(self):
        if not current_user.can("indicators", "export"):
            abort(403)
        contract = _contract()
        data = year_summary_docx(contract, local_today(), user_townships())
        audit("export", collection="indicators", detail=f"导出“{contract.name}”年度总结（Word）")
        return Response(data, mimetype=DOCX_MIMETYPE,
                        headers={"Content-Disposition": content_disposition(f"{contract.name}年度总结.docx")})

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
    column_formatters = {"target": lambda v, c, m, n: _number(m.target)}
    column_formatters_detail = column_formatters


class ReportDraftView(SecureModelView):
    """A brief or a summary: generated from the data, edited by the coordinator, then
    签发 (issued) as a Word file kept unchanged; 重新生成 refreshes what was not edited."""

    area = "indicators"
    details_template = "admin/report_details.html"
    creatable = False  # a draft is generated from the data (its figures frozen then)
    form_ajax_refs = {"photo_events": {"fields": ("title",), "minimum_input_length": 0, "placeholder": "选择有照片的活动"},
                      "typical_source": {"fields": ("title",), "minimum_input_length": 0,
                                         "placeholder": "选择已结案的个案"}}
    form_args = {"typical_case": {"description": "请去标识：用化名或“王某”，不写真实姓名、身份证号、住址。"},
                 "typical_source": {"description": "只能选已结案的个案；文稿中只写个案类型、日期和服务次数。"}}

    def details_links(self, model):
        return [("预览 Word（当前文字）", self.get_url(".docx_view", id=model.pk))]

    def render(self, template, **kwargs):
        kwargs.setdefault("draft_form", SecureForm())
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            kwargs.setdefault("issued", issued_versions(model))
            kwargs.setdefault("may_issue", self._may("edit") and not model.voided)
        return super().render(template, **kwargs)

    def _posted_record(self):
        """The record a POST names, after the permission and CSRF checks; None with a message flashed."""
        if not self._may("edit"):
            abort(403)
        form = SecureForm(request.form)
        record = self.get_one(request.form.get("id", ""))
        if record is None:
            abort(404)
        if not form.validate():
            flash(form.csrf_token.errors[0] if csrf_failed(form) else "提交无效，请重试。", "error")
            return record, None
        try:
            return record, int(request.form.get("version", ""))
        except ValueError:
            flash("提交无效，请刷新页面后重试。", "error")
            return record, None

    @expose("/regenerate/", methods=("POST",))
    def regenerate_view(self):
        record, version = self._posted_record()
        if version is not None:
            try:
                kept = regenerate(record, current_user._get_current_object(), version)
            except DomainError as exc:
                flash(exc.message, "error")
            else:
                flash("已按最新数据重新生成主要数据和未修改的部分。" + (
                    f"以下部分已被修改，保留了您的文字，请对照数据核对：{'、'.join(kept)}。" if kept else ""),
                      "warning" if kept else "success")
        return redirect(self.get_url(".details_view", id=record.pk))

    @expose("/issue/", methods=("POST",))
    def issue_view(self):
        record, version = self._posted_record()
        if version is not None:
            try:
                issued = issue_report(record, current_user._get_current_object(), version)
            except DomainError as exc:
                flash(exc.message, "error")
            else:
                flash(f"已签发第 {issued.edition} 版，签发的文件今后下载内容不变。", "success")
        return redirect(self.get_url(".details_view", id=record.pk))

    @expose("/docx/")
    def docx_view(self):
        record = self.get_one(request.args.get("id", ""))
        if record is None:
            abort(404)
        audit("export", collection=record._get_collection_name(), record_id=record.pk, record_label=str(record),
              detail="预览 Word（当前文字）")
        return Response(report_docx(record), mimetype=DOCX_MIMETYPE,
                        headers={"Content-Disposition": content_disposition(report_filename(record))})


class BriefView(ReportDraftView):
    column_list = ("month", "issue_number", "title", "status", "sent_on", "sender")
    column_formatters = {"month": lambda view, context, model, name: period_label("month", model.month, with_year=True)
                         if model.month else ""}
    column_filters = ("month", "status")
    column_default_sort = ("issue_number", True)
    date_fields = ("sent_on",)
    form_columns = ("title", "issue_number", "sender", "sent_on", "highlights", "photo_events", "typical_source",
                    "typical_case", "problems", "next_plan")
    column_details_exclude_list = (*SecureModelView.column_details_exclude_list, "generated")
    form_widget_args = {name: {"rows": 5} for name in ("highlights", "typical_case", "problems", "next_plan")}
    list_template = "admin/brief_list.html"

    @expose("/draft/", methods=("POST",))
    def draft_view(self):
        if not self._may("edit"):
            abort(403)
        form = SecureForm(request.form)
        if not form.validate():
            flash(form.csrf_token.errors[0] if csrf_failed(form) else "提交无效，请重试。", "error")
            return redirect(self.get_url(".index_view"))
        contract = current_contract()
        month = request.form.get("month", "")
        try:
            if contract is None:
                raise DomainError("尚未设置合同。")
            dt.date.fromisoformat(f"{month}-01")
            brief = draft_brief(contract, month, current_user._get_current_object())
        except ValueError:
            flash("请选择月份。", "error")
            return redirect(self.get_url(".index_view"))
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(self.get_url(".index_view"))
        flash(f"已起草第 {brief.issue_number} 期简报，请修改文字后签发。", "success")
        return redirect(self.get_url(".edit_view", id=brief.pk))

    def render(self, template, **kwargs):
        kwargs.setdefault("current_month", current_month_key())
        return super().render(template, **kwargs)


class YearSummaryView(ReportDraftView):
    column_list = ("title", "status", "sent_on", "as_of", "sender")
    column_filters = ("status",)
    column_default_sort = ("sent_on", True)
    date_fields = ("sent_on", "as_of")
    form_columns = ("title", "sender", "sent_on", "basics", "work", "results", "photo_events", "typical_source",
                    "typical_case", "problems", "next_plan")
    column_details_exclude_list = (*SecureModelView.column_details_exclude_list, "generated", "month")
    form_widget_args = {name: {"rows": 8} for name in ("basics", "work", "results", "typical_case", "problems",
                                                       "next_plan")}
    list_template = "admin/summary_list.html"

    @expose("/draft/", methods=("POST",))
    def draft_view(self):
        if not self._may("edit"):
            abort(403)
        form = SecureForm(request.form)
        if not form.validate():
            flash(form.csrf_token.errors[0] if csrf_failed(form) else "提交无效，请重试。", "error")
            return redirect(self.get_url(".index_view"))
        try:
            contract = current_contract()
            if contract is None:
                raise DomainError("尚未设置合同。")
            summary = draft_summary(contract, current_user._get_current_object())
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(self.get_url(".index_view"))
        flash("已按当前数据起草年度工作总结，请修改文字后签发。", "success")
        return redirect(self.get_url(".edit_view", id=summary.pk))


class IssuedReportView(SecureModelView):
    """Issued briefs and summaries: each version's file, downloaded exactly as issued."""

    area = "indicators"
    creatable = False
    editable = False
    column_list = ("kind", "title", "issue_number", "edition", "dated", "issued_at", "issued_by")
    column_filters = ("kind",)
    column_default_sort = ("issued_at", True)
    date_fields = ("dated",)
    column_details_exclude_list = (*SecureModelView.column_details_exclude_list, "file", "sha256")

    def details_links(self, model):
        return [("下载签发的 Word", self.get_url(".download_view", id=model.pk))]

    @expose("/download/")
    def download_view(self):
        record = self.get_one(request.args.get("id", ""))
        if record is None or not record.file or not record.file.grid_id:
            abort(404)
        audit("export", collection="issued_reports", record_id=record.pk, record_label=str(record),
              detail="下载签发的 Word")
        return Response(record.file.read(), mimetype=DOCX_MIMETYPE,
                        headers={"Content-Disposition": content_disposition(record.filename or "签发文件.docx")})
