"""Excel import pages: template download, upload with preview, confirm."""

from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup
from wtforms import FileField, SelectField

from models.archive_import import (
    KIND_NAMES,
    ImportBatch,
    apply_import,
    build_template,
    preview_import,
    start_batch,
)
from models.errors import DomainError

from .base import XLSX_MIMETYPE, SecureView, audit, content_disposition, user_townships
from .forms import SecureForm, csrf_failed

KIND_ENDPOINTS = {"child": "childarchive", "elderly": "elderlyarchive", "homeless": "homelessarchive"}


class UploadForm(SecureForm):
    kind = SelectField("档案类型", choices=list(KIND_NAMES.items()))
    upload = FileField("Excel 文件（.xlsx）", render_kw={"accept": ".xlsx"})


class ArchiveImportView(SecureView):
    area = "archives"
    action_needed = "create"

    def _batches(self):
        query = ImportBatch.objects(voided=False)
        if user_townships() is not None:
            query = query.filter(created_by=current_user.username)
        return list(query.order_by("-created_at", "-id").limit(20))

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = UploadForm(request.form if request.method == "POST" else None)
        if request.method == "GET" and request.args.get("kind") in KIND_NAMES:
            form.kind.data = request.args["kind"]
        error = None
        if request.method == "POST":
            upload = request.files.get("upload")
            if not form.validate():
                error = form.csrf_token.errors[0] if csrf_failed(form) else "请检查填写的内容。"
            elif upload is None or not upload.filename:
                error = "请选择要导入的 Excel 文件。"
            else:
                data = upload.read()
                try:
                    preview = preview_import(data, form.kind.data, user_townships())
                except DomainError as exc:
                    error = exc.message
                else:
                    batch = start_batch(data, upload.filename, form.kind.data, len(preview.rows),
                                        current_user._get_current_object()) if preview.ok else None
                    return self.render("admin/import_preview.html", preview=preview, batch=batch,
                                       kind_name=KIND_NAMES[form.kind.data], form=SecureForm(),
                                       filename=upload.filename)
        return self.render("admin/import_upload.html", form=form, error=error, batches=self._batches(),
                           kind_names=KIND_NAMES)

    @expose("/template/<kind>")
    def template(self, kind):
        if kind not in KIND_NAMES:
            abort(404)
        filename = f"{KIND_NAMES[kind]}档案导入模板.xlsx"
        return Response(build_template(kind, user_townships()), headers={"Content-Disposition": content_disposition(filename)},
                        mimetype=XLSX_MIMETYPE)

    @expose("/confirm/<batch_id>", methods=("POST",))
    def confirm(self, batch_id):
        form = SecureForm(request.form)
        if not form.validate():
            flash(form.csrf_token.errors[0] if csrf_failed(form) else "提交无效。", "error")
            return redirect(url_for(".index"))
        batch = ImportBatch.objects(pk=batch_id).first()
        if batch is None or (user_townships() is not None and batch.created_by != current_user.username):
            abort(404)
        try:
            apply_import(batch, user_townships(), current_user._get_current_object())
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for(".index", kind=batch.kind))
        batch.reload()
        audit("import", collection="archives", record_id=batch.pk, record_label=str(batch),
              detail=f"新建 {batch.created_count}，更新 {batch.updated_count}，无变化 {batch.unchanged_count}")
        flash(Markup(f"导入完成：新建 {batch.created_count} 份，更新 {batch.updated_count} 份，"
                     f"无变化 {batch.unchanged_count} 份。"), "success")
        return redirect(url_for(f"{KIND_ENDPOINTS[batch.kind]}.index_view"))

    @expose("/file/<batch_id>")
    def download(self, batch_id):
        batch = ImportBatch.objects(pk=batch_id).first()
        if batch is None or (user_townships() is not None and batch.created_by != current_user.username):
            abort(404)
        return Response(batch.file.read(), headers={"Content-Disposition": content_disposition(batch.filename)},
                        mimetype=XLSX_MIMETYPE)

