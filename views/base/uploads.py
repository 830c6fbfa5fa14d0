"""Files sent with a form: stored on the record when it is saved (``Uploads``), and kept
across a refused save (``models.pending``): the re-rendered form shows them as already
attached, ticked, and the next save takes them. Each kept file is served back only to
the user who sent it (``PendingFileView``)."""

from bson import ObjectId
from flask import abort, current_app, request, send_file
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import FileField, MultipleFileField
from wtforms.widgets import FileInput

from models.files import base_name, discard_new_files, store_upload
from models.pending import PendingUpload, clean_stale, forget, keep_pending, owned
from models.visits import add_photo, discard_photos

from .access import SecureView
from .formatters import file_link, photo_thumbnails, reads_its_column_only

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


class Uploads:
    """A model view's file uploads: the form's file inputs, the files kept across a refused
    save, stored on the record before it is saved, removed when the save is refused."""

    def _upload_fields(self):
        extra = dict(self.form_extra_fields or {})
        names = []
        if self.accepts_photos:
            extra.setdefault("photo_upload", MultipleFileField(
                "照片", description="可直接用手机拍照，可多选；只接受图片。",
                render_kw={"accept": "image/*", "capture": "environment", "multiple": True}))
            names.append("photo_upload")
        for field_name, (label, images_only) in self.file_uploads.items():
            accept = "image/*" if images_only else "image/*,.pdf,.doc,.docx,.xls,.xlsx"
            extra.setdefault(f"{field_name}_upload", FileField(label, render_kw={"accept": accept}))
            names.append(f"{field_name}_upload")
        if not names:
            return
        self._pending_widgets(extra)
        files = list(self.file_fields)
        details = dict(self.column_formatters_detail or {})
        lists = dict(self.column_formatters or {})
        exports = dict(self.column_formatters_export or {})
        if self.accepts_photos:
            files += ["photos.file", "photos.thumbnail"]
            details.setdefault("photos", photo_thumbnails)
            lists.setdefault("photos", photo_thumbnails)
            exports.setdefault("photos", reads_its_column_only(lambda v, c, m, n: len(m.photos or [])))
        for field_name in self.file_uploads:
            files.append(field_name)
            details.setdefault(field_name, file_link)
            lists.setdefault(field_name, file_link)
            exports.setdefault(field_name, reads_its_column_only(
                lambda v, c, m, n: "有" if getattr(getattr(m, n, None), "grid_id", None) else "无"))
        self.file_fields = tuple(dict.fromkeys(files))
        self.column_formatters_detail, self.column_formatters = details, lists
        self.column_formatters_export = exports
        self.form_extra_fields = extra
        self.non_model_fields = tuple(dict.fromkeys((*self.non_model_fields, *names)))
        if self.form_columns:
            self.form_columns = tuple(dict.fromkeys((*self.form_columns, *names)))

    def kept_upload_fields(self) -> dict[str, tuple[bool, bool]]:
        """The form's file inputs: name -> (images only, one file). Their files are kept
        across a refused save (see above). Views with an upload of their own add it."""
        fields = {"photo_upload": (True, False)} if self.accepts_photos else {}
        for field_name, (_label, images_only) in self.file_uploads.items():
            fields[f"{field_name}_upload"] = (images_only, True)
        return fields

    def _pending_widgets(self, extra: dict) -> None:
        """File inputs that also show the files already sent with the form."""
        for name, (_images_only, single) in self.kept_upload_fields().items():
            unbound = extra.get(name)
            if unbound is not None and hasattr(unbound, "kwargs"):
                unbound.kwargs.setdefault("widget", PendingFileInput(multiple=not single))

    def keep_uploads(self, form) -> None:
        """Keep the files sent with this submission, and those kept from an earlier one,
        for the user (``field.pending``), before anything may refuse the save."""
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        for name, (images_only, single) in self.kept_upload_fields().items():
            if name in form:
                field = form[name]
                field.pending, field.refused = kept_uploads(
                    current_user.pk, name, request.files.getlist(name), request.form.getlist(name + PENDING_SUFFIX),
                    limit, images_only, single=single)

    def form_files(self, form, name: str) -> list[tuple[bytes, str]]:
        """The files a form field carries (content, file name): kept ones and just sent ones."""
        field = form[name]
        if hasattr(field, "pending"):
            return [(item.read(), item.filename) for item in field.pending] + list(field.refused)
        data = field.data
        uploads = data if isinstance(data, (list, tuple)) else [data]
        return [(u.read(), u.filename) for u in uploads if u and getattr(u, "filename", "")]

    def adopt_uploads(self, form) -> None:
        """The record now holds the kept files: remove them from the pending ones."""
        for name in self.kept_upload_fields():
            if name in form:
                forget(getattr(form[name], "pending", None) or [])

    def store_uploads(self, form, model):
        """Keep the files uploaded with the form on the record (before it is saved)."""
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        self._kept_photos = {p.file.grid_id for p in getattr(model, "photos", None) or [] if p.file}
        if self.accepts_photos and "photo_upload" in form:
            for data, filename in self.form_files(form, "photo_upload"):
                add_photo(model, data, filename, limit)
        for field_name, (_label, images_only) in self.file_uploads.items():
            for data, filename in self.form_files(form, f"{field_name}_upload")[-1:]:
                store_upload(model, field_name, data, filename, limit, images_only=images_only,
                             form_field=f"{field_name}_upload")

    def discard_stored_uploads(self, model, before):
        """Remove the files of a save that was refused (nothing half-saved)."""
        if self.accepts_photos:
            discard_photos(model, getattr(self, "_kept_photos", set()))
        if self.file_uploads:
            discard_new_files(model, before)

    def discard_uploads(self, model, before):
        """Undo files stored for a save that was refused. Views with files override it."""
