"""Nothing is deleted: a model view's records are voided with a reason, and restored
the same way (``Voiding``), through ``models.services``."""

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_login import current_user

from models.errors import DomainError
from models.services import restore_record, void_record

from ..forms import SecureForm, csrf_failed


class Voiding:
    """作废 and 恢复: the list's actions and the page that asks for the reason."""

    #: At most this many records are voided or restored at once; the page says when more
    #: were chosen, and which ones it leaves for another time.
    void_at_once = 200

    def delete_model(self, model):
        flash("记录不能删除，请使用“作废”并填写原因。", "error")
        return False

    @action("void", "作废", None)
    def action_void(self, ids):
        return redirect(self.get_url(".void_view", ids=",".join(ids), url=get_redirect_target()))

    @action("restore", "恢复", None)
    def action_restore(self, ids):
        return redirect(self.get_url(".void_view", ids=",".join(ids), restore=1, url=get_redirect_target()))

    @expose("/void/", methods=("GET", "POST"))
    def void_view(self):
        if not self.can_void:
            abort(403)
        restoring = request.values.get("restore") == "1"
        return_url = get_redirect_target() or self.get_url(".index_view")
        chosen = [i for i in (request.values.get("ids") or "").split(",") if i]
        ids, left_out = chosen[: self.void_at_once], len(chosen[self.void_at_once:])
        records = []
        for pk in ids:
            record = self.get_one(pk)
            if record is not None:
                records.append(record)
        form = SecureForm(request.form if request.method == "POST" else None)
        error = None
        if request.method == "POST":
            reason = request.form.get("reason", "")
            if not form.validate():
                error = form.csrf_token.errors[0] if csrf_failed(form) else "提交无效，请重试。"
            elif not records:
                error = "没有可处理的记录（记录不存在或不在您的负责范围内）。"
            else:
                done = 0
                try:
                    for record in records:
                        if restoring:
                            restore_record(record, reason, current_user._get_current_object())
                        else:
                            void_record(record, reason, current_user._get_current_object())
                        done += 1
                except DomainError as exc:
                    error = exc.message
                if error is None:
                    flash(f"已{'恢复' if restoring else '作废'} {done} 条记录。", "success")
                    if left_out:
                        flash(f"所选的另外 {left_out} 条记录未处理（一次最多 {self.void_at_once} 条）：请在列表中再选。",
                              "warning")
                    return redirect(return_url)
        return self.render("admin/void.html", records=records, form=form, error=error,
                           restoring=restoring, return_url=return_url,
                           reason=request.form.get("reason", ""), ids=",".join(ids), left_out=left_out,
                           at_once=self.void_at_once)
