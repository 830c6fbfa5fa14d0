"""Files sent with a form are kept across a refused save (``models.pending``): the
re-rendered form shows them as already attached, ticked, and the next save takes
them. Each is served back only to the user who sent it."""

from bson import ObjectId
from flask import abort, current_app, request, send_file
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms.widgets import FileInput

from models.files import base_name
from models.pending import PendingUpload, clean_stale, forget, keep_pending, owned

from .base import SecureView

#: The suffix of the ticked boxes that carry the kept files of a form field.
PENDING_SUFFIX = "__pending"


def max_age_hours() -> int:
    return current_app.config["PENDING_UPLOAD_HOURS"]


class PendingFileInput(FileInput):
    """A file input followed by the files already sent with the form (each a ticked
    box: untick to leave it out), so a refused save never asks for a photo again."""

    def __call__(self, field, **kwargs):
        html = super().__call__(field, **kwargs)
        pending = getattr(field, "pending", None) or []
        if not pending:
            return html
        items = []
        for item in pending:
            url = f"/pending/?id={item.pk}"
            picture = (f'<img class="visit-thumb" src="{escape(url)}" alt="{escape(item.filename)}">'
                       if item.is_image else "")
            items.append(
                f'<label class="pending-file"><input type="checkbox" name="{escape(field.name)}{PENDING_SUFFIX}" '
                f'value="{item.pk}" checked> {picture}<span>{escape(item.filename)}</span></label>')
        note = '<small class="form-text text-muted">以上文件已上传，保存时一并保存；取消勾选即不保存。</small>'
        return Markup(f'{html}<div class="pending-files" data-field="{escape(field.name)}">'
                      f'<div class="pending-title">已上传的文件：</div>{"".join(items)}{note}</div>')


def kept_uploads(owner_id, field_name: str, uploads, kept_ids, max_bytes: int, images_only: bool,
                 single: bool = False) -> tuple[list[PendingUpload], list[tuple[bytes, str]]]:
    """The files a form field carries on this submission: those kept from an earlier
    one (still ticked) and the ones just sent, kept in turn. Returns the kept files and
    the sent files that could not be kept (not acceptable: the save says why)."""
    earlier = owned(owner_id, field_name, kept_ids, max_age_hours())
    sent, refused = [], []
    for upload in uploads or []:
        if upload and getattr(upload, "filename", ""):
            data = upload.read()
            item = keep_pending(owner_id, field_name, data, upload.filename, max_bytes, images_only)
            if item is None:
                refused.append((data, upload.filename))
            else:
                sent.append(item)
    if sent or refused:
        clean_stale(max_age_hours())
    if single and (sent or refused):
        forget(earlier)  # a new file replaces the one sent before
        earlier = []
    return earlier + sent, refused


class PendingFileView(SecureView):
    """Serves a kept file to the user who sent it (the thumbnail in the form)."""

    area = "records"

    def is_accessible(self):
        return current_user.is_authenticated

    def is_visible(self):
        return False

    @expose("/")
    def index(self):
        pk = request.args.get("id", "")
        if not ObjectId.is_valid(pk):
            abort(404)
        item = PendingUpload.objects(pk=ObjectId(pk), owner=current_user.pk).first()
        if item is None or not item.file or not item.file.grid_id:
            abort(404)
        data = item.file.get()
        if data is None:
            abort(404)
        return send_file(data, mimetype=item.content_type if item.is_image else "application/octet-stream",
                         download_name=base_name(item.filename), as_attachment=not item.is_image)
