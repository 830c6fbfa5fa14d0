"""Hospital accompaniment and the supervision of elderly-care subsidies:
importing results and services, drawing samples, recording spot checks."""

import datetime as dt

from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup

from models.clock import local_today
from models.contracts import current_contract
from models.dates import parse_date
from models.errors import DomainError
from models.subsidy import (
    CHECK_KINDS,
    CHECK_STATES,
    KINDS,
    SampleDraw,
    SubsidyBatch,
    check_shares,
    draw_sample,
    import_subsidy_file,
    template,
)
from models.users import User

from .base import XLSX_MIMETYPE, SecureModelView, SecureView, content_disposition
from .forms import SecureForm, csrf_failed


class AccompanimentView(SecureModelView):
    area = "records"
    date_fields = ("start_date", "end_date")
    column_list = ("person", "township", "hospital", "start_date", "end_date", "days", "companions")
    column_filters = ("township", "year", "start_date", "person")
    column_searchable_list = ("hospital", "companions")
    column_default_sort = ("start_date", True)
    column_details_exclude_list = ("version", "year")
    form_columns = ("person", "hospital", "ward", "start_date", "end_date", "companions", "notes")
    form_ajax_refs = {"person": {"fields": ("name", "name_initials"), "minimum_input_length": 1,
                                 "placeholder": "输入分散供养特困人员姓名"}}
    form_args = {"end_date": {"description": "每名特困人员每年一次，每次不超过 7 天，同时陪护不超过 2 人。"}}
    form_widget_args = {"notes": {"rows": 3}}


def _check_status(view, context, model, name):
    label = dict(CHECK_STATES).get(model.status, "")
    overdue = model.status == "rectifying" and model.rectification_due and model.rectification_due.date() < local_today()
    return Markup(f'{label} <span class="badge badge-danger">整改逾期</span>') if overdue else label


class SpotCheckView(SecureModelView):
    area = "supervision"
    accepts_photos = True
    date_fields = ("checked_on", "rectification_due", "rectified_on")
    column_list = ("kind", "item", "township", "assigned_to", "status", "checked_on", "findings", "satisfaction",
                   "rectification_due")
    column_formatters = {"status": _check_status}
    column_filters = ("kind", "status", "draw", "assigned_to", "township", "findings", "checked_on")
    column_default_sort = ("status", False)
    form_columns = ("assigned_to", "checked_on", "method", "findings", "satisfaction", "notes", "rectification_due",
                    "rectified_on", "rectification_notes")
    form_args = {"satisfaction": {"description": "1 非常不满意 … 5 非常满意（服务质量抽查必填）。"},
                 "rectification_due": {"description": "发现问题时必填。"}}
    form_widget_args = {"notes": {"rows": 3}, "rectification_notes": {"rows": 2}}

    creatable = False  # spot checks come from a sample draw


class SubsidyView(SecureView):
    """Import results and services, draw samples, see the shares checked."""

    area = "supervision"

    @expose("/", methods=("GET", "POST"))
    def index(self):
        may_write = current_user.can("supervision", "create")
        form = SecureForm(request.form if request.method == "POST" else None)
        contract = current_contract()
        today = local_today()
        start = contract.start_date.date() if contract else today.replace(month=1, day=1)
        end = min(contract.end_date.date(), today) if contract else today
        values = {"kind": "assessment", "date_from": start.isoformat(), "date_to": end.isoformat(), "share": "",
                  "seed": "", "inspectors": []}
        error = None
        if request.method == "POST":
            if not may_write:
                abort(403)
            values = {key: request.form.get(key, "") for key in ("kind", "date_from", "date_to", "share", "seed")}
            values["inspectors"] = request.form.getlist("inspectors")
            if not form.validate():
                error = form.csrf_token.errors[0] if csrf_failed(form) else "提交无效，请重试。"
            else:
                try:
                    draw = self._draw(values)
                except DomainError as exc:
                    error = exc.message
                else:
                    flash(f"已抽取 {draw.sample_size} 条（总体 {draw.population_size} 条，随机种子 {draw.seed}），"
                          "已分派给核查人员。", "success")
                    return redirect(url_for("spotcheck.index_view", flt0_draw_equals=draw.pk))
        shares = {kind: check_shares(kind, dt.datetime.combine(start, dt.time()), dt.datetime.combine(end, dt.time()))
                  for kind in CHECK_KINDS}
        inspectors = User.objects(active=True, voided=False, role__in=["staff", "coordinator"]).order_by("display_name")
        return self.render("admin/subsidy.html", form=form, values=values, error=error, kinds=KINDS,
                           check_kinds=CHECK_KINDS, shares=shares, may_write=may_write, inspectors=inspectors,
                           draws=SampleDraw.objects(voided=False).order_by("-created_at", "-id").limit(20),
                           batches=SubsidyBatch.objects(voided=False).order_by("-created_at", "-id").limit(20),
                           period=(start, end))

    def _draw(self, values):
        if values["kind"] not in CHECK_KINDS:
            raise DomainError("请选择抽样对象。")
        date_from, date_to = parse_date(values["date_from"]), parse_date(values["date_to"])
        if date_from is None or date_to is None:
            raise DomainError("请填写起止日期。")
        try:
            share = float(values["share"]) / 100
        except ValueError as exc:
            raise DomainError("请填写抽样比例（百分数，如 2 或 20）。") from exc
        seed = None
        if values["seed"].strip():
            if not values["seed"].strip().isdigit():
                raise DomainError("随机种子须为整数；留空由系统生成并记录。")
            seed = int(values["seed"])
        people = list(User.objects(pk__in=[i for i in values["inspectors"] if len(i) == 24], active=True))
        return draw_sample(values["kind"], date_from, date_to, share, seed, people, current_user._get_current_object())

    @expose("/import/", methods=("POST",))
    def import_view(self):
        if not current_user.can("supervision", "create"):
            abort(403)
        form = SecureForm(request.form)
        upload = request.files.get("file")
        if not form.validate():
            flash(form.csrf_token.errors[0] if csrf_failed(form) else "提交无效，请重试。", "error")
        elif upload is None or not upload.filename:
            flash("请选择要导入的 Excel 文件。", "error")
        else:
            try:
                batch = import_subsidy_file(request.form.get("kind", ""), upload.read(), upload.filename,
                                            current_user._get_current_object())
            except DomainError as exc:
                flash(exc.message, "error")
            else:
                flash(f"导入完成：新导入 {batch.imported_count} 条，已存在跳过 {batch.skipped_count} 条。", "success")
        return redirect(url_for(".index"))

    @expose("/template/<kind>")
    def template_view(self, kind):
        if kind not in dict(KINDS):
            abort(404)
        return Response(template(kind), mimetype=XLSX_MIMETYPE,
                        headers={"Content-Disposition": content_disposition(f"{dict(KINDS)[kind]}导入模板.xlsx")})


class SubsidyItemView(SecureModelView):
    area = "supervision"
    date_fields = ("occurred_on",)
    column_list = ("kind", "external_no", "elder_name", "township", "organisation", "occurred_on", "detail",
                   "amount_fen", "batch")
    column_filters = ("kind", "township", "occurred_on", "batch")
    column_searchable_list = ("external_no", "elder_name", "organisation")
    column_formatters = {"id_number": lambda v, c, m, n: m.masked_id}
    column_formatters_detail = {"id_number": lambda v, c, m, n: m.masked_id}

    creatable = editable = False  # imported rows: the import is the only way in
