"""The grid of all archives and its bulk operations (assign a worker, change the status):
the view reads the form, models.archive_operations does the work, the view reports."""

from bson import ObjectId
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_login import current_user
from wtforms import SelectField, StringField
from wtforms.validators import Optional

from models.archive_operations import assign_worker, bulk_selection, change_status
from models.archives import STATUSES, Archive
from models.clock import local_today
from models.errors import DomainError
from models.users import User

from ..base import in_scope, scope_query, user_townships
from ..forms import PlainDateField, SecureForm, csrf_failed
from .archive_view import ArchiveBaseView
from .file_page import KIND_ENDPOINTS


class AllArchivesView(ArchiveBaseView):
    column_list = ("name", "kind", "sex", "age", "id_number", "township", "community", "categories", "level",
                   "status", "worker", "completeness", "last_visited_at", "archive_date")

    creatable = False  # an archive is created as a child, an elderly or a homeless person's archive

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        record = self.get_one(request.args.get("id", ""))
        if record is None:
            abort(404)
        endpoint = KIND_ENDPOINTS[record.kind_key]
        return redirect(url_for(f"{endpoint}.edit_view", id=str(record.pk), url=request.args.get("url")))

    @expose("/bulk/", methods=("GET", "POST"))
    def bulk_view(self):
        """Assign a worker or change the status of several archives at once."""
        if not self.can_edit:
            abort(403)
        op = request.values.get("op")
        if op not in ("assign", "status"):
            abort(404)
        return_url = get_redirect_target() or self.get_url(".index_view")
        ids, cut = bulk_selection([i for i in (request.values.get("ids") or "").split(",") if i])
        records = self.selected(ids)
        form = BulkForm(request.form if request.method == "POST" else None)
        workers = scope_query(User.objects(role__in=["staff", "coordinator"], active=True, voided=False), User)
        townships = user_townships()
        if townships is not None:
            workers = [w for w in workers if not w.township_ids() or set(w.township_ids()) & set(townships)]
        form.worker.choices = [("", "—")] + [(str(w.pk), str(w)) for w in workers]
        error = None
        if request.method == "POST":
            if not form.validate():
                error = form.csrf_token.errors[0] if csrf_failed(form) else "请检查填写的内容。"
            else:
                try:
                    outcome = apply_bulk(records, op, form, current_user._get_current_object())
                except DomainError as exc:
                    error = exc.message
                else:
                    flash(outcome.summary() + (cut or ""), "warning" if outcome.refused or cut else "success")
                    return redirect(return_url)
        return self.render("admin/archive_bulk.html", op=op, form=form, records=records, error=error, cut=cut,
                           ids=",".join(ids), return_url=return_url)


    def selected(self, ids: list) -> list:
        """The selected archives the user may see, in the order chosen: one read, however many."""
        object_ids = [ObjectId(i) for i in ids if ObjectId.is_valid(i)]
        found = {son["_id"]: son for son in Archive._get_collection().find({"_id": {"$in": object_ids}})}
        return [record for record in (Archive._from_son(found[i]) for i in object_ids if i in found)
                if in_scope(record)]


class BulkForm(SecureForm):
    worker = SelectField("责任社工", choices=[], validators=[Optional()])
    status = SelectField("档案状态", choices=[("", "—"), *STATUSES], validators=[Optional()])
    status_date = PlainDateField("状态日期", validators=[Optional()], format="%Y-%m-%d")
    reason = StringField("原因")


def apply_bulk(records, op, form, actor):
    """Read the bulk form and run the operation it names."""
    if op == "assign":
        worker = User.objects(pk=form.worker.data).first() if form.worker.data else None
        if form.worker.data and worker is None:
            raise DomainError("所选社工不存在。")
        return assign_worker(records, worker, actor)
    return change_status(records, form.status.data, form.status_date.data or local_today(), form.reason.data, actor)
