"""The station's reports in the app: the monthly briefs and the year-end summaries, drafted
from the data, edited, regenerated and issued (签发), and the issued versions kept unchanged."""

import datetime as dt

from flask import Response, abort, flash, redirect, request
from flask_admin import expose
from flask_login import current_user

from models.briefs import (
    DOCX_TYPE,
    current_month_key,
    draft_brief,
    draft_summary,
    issue_report,
    issued_versions,
    regenerate,
    report_docx,
    report_filename,
)
from models.contracts import current_contract
from models.errors import DomainError
from models.periods import period_label

from .base import SecureModelView, audit, content_disposition
from .forms import SecureForm, csrf_failed


def docx_response(data: bytes, filename: str) -> Response:
    return Response(data, mimetype=DOCX_TYPE, headers={"Content-Disposition": content_disposition(filename)})


def refusal(form) -> str:
    """Why a posted form was refused (its CSRF token, else a generic message)."""
    return form.csrf_token.errors[0] if csrf_failed(form) else "提交无效，请重试。"


class ReportDraftView(SecureModelView):
    """A brief or a summary: generated from the data, edited by the coordinator, then
    签发 (issued) as a Word file kept unchanged; 重新生成 refreshes what was not edited.
    Each kind defines ``draft(contract, actor)``: it drafts a record from the data and
    returns (record, message)."""

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
            flash(refusal(form), "error")
            return record, None
        try:
            return record, int(request.form.get("version", ""))
        except ValueError:
            flash("提交无效，请刷新页面后重试。", "error")
            return record, None

    @expose("/draft/", methods=("POST",))
    def draft_view(self):
        if not self._may("edit"):
            abort(403)
        form = SecureForm(request.form)
        if not form.validate():
            flash(refusal(form), "error")
            return redirect(self.get_url(".index_view"))
        try:
            contract = current_contract()
            if contract is None:
                raise DomainError("尚未设置合同。")
            record, message = self.draft(contract, current_user._get_current_object())
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(self.get_url(".index_view"))
        flash(message, "success")
        return redirect(self.get_url(".edit_view", id=record.pk))

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
        return docx_response(report_docx(record), report_filename(record))


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

    def draft(self, contract, actor):
        month = request.form.get("month", "")
        try:
            dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            raise DomainError("请选择月份。") from None
        brief = draft_brief(contract, month, actor)
        return brief, f"已起草第 {brief.issue_number} 期简报，请修改文字后签发。"

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

    def draft(self, contract, actor):
        return draft_summary(contract, actor), "已按当前数据起草年度工作总结，请修改文字后签发。"


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
        return docx_response(record.file.read(), record.filename or "签发文件.docx")
