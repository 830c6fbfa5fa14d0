"""Evidence files (scans, photos, sign-in sheets) in GridFS, downloadable only
by users who may see the record they belong to."""

from flask import current_app
from markupsafe import Markup, escape
from wtforms import FileField

from models.attachments import discard_new_file, store_file

from .base import PendingFileInput, SecureModelView


def _file_link(view, context, model, name):
    if not model.file or not model.file.grid_id:
        return ""
    url = view.get_url(".api_file_view", id=str(model.file.grid_id))
    size_kb = (model.size or 0) // 1024
    return Markup(f'<a href="{escape(url)}" target="_blank">{escape(model.filename or "文件")}</a> {size_kb} KB')


class AttachmentView(SecureModelView):
    area = "attachments"
    file_fields = ("file",)
    column_list = ("title", "kind", "township", "file", "created_by", "created_at")
    column_details_list = ("title", "kind", "township", "file", "content_type", "size", "note",
                           "created_by", "created_at", "updated_by", "updated_at")
    column_searchable_list = ("title", "filename", "note")
    column_filters = ("title", "kind", "township", "created_at")
    column_formatters = {"file": _file_link}
    column_formatters_detail = {"file": _file_link}
    column_formatters_export = {"file": lambda v, c, m, n: m.filename or ""}
    column_labels = {"created_at": "上传时间", "created_by": "上传人"}
    form_columns = ("title", "kind", "township", "note", "upload")
    form_extra_fields = {"upload": FileField("文件", description="图片、PDF、Word 或 Excel；手机可直接拍照上传。",
                                             widget=PendingFileInput())}
    form_widget_args = {"upload": {"accept": "image/*,.pdf,.doc,.docx,.xls,.xlsx", "capture": "environment"}}
    non_model_fields = ("record_version", "csrf_token", "upload")
    form_ajax_refs = {"township": {"fields": ("name", "code"), "placeholder": "输入街道/乡镇名称"}}

    def kept_upload_fields(self):
        return {**super().kept_upload_fields(), "upload": (False, True)}

    def on_model_change(self, form, model, is_created):
        for data, filename in self.form_files(form, "upload")[-1:]:
            store_file(model, data, filename, current_app.config["MAX_CONTENT_LENGTH"])

    def discard_uploads(self, model, before):
        discard_new_file(model, before)
