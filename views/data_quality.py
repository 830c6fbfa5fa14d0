"""The data-quality page (数据质量): each check's figure opens the list of exactly its
records; where the fix is mechanical it is offered here (assign a worker to many
archives, merge two likely duplicates after reviewing them side by side)."""

import mongoengine
from bson.errors import InvalidId
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from models.archives import Archive
from models.base import by_id
from models.data_quality import run_checks
from models.errors import DomainError
from models.merge import compare, merge_archives

from .base import SecureView, in_scope, user_townships
from .forms import SecureForm, csrf_failed
from .home import list_endpoint

#: Records named under each check on the page (the figure's link opens them all).
SHOWN = 10
#: Groups of likely duplicates offered for a merge under each check.
GROUPS_SHOWN = 20
#: Archives handed to the bulk assignment at once (its own limit).
BULK_LIMIT = 500


class DataQualityView(SecureView):
    area = "quality"

    @expose("/")
    def index(self):
        snap, results = run_checks(user_townships())
        names = {son["_id"]: son.get("name") or "" for son in snap.archives}
        may_fix = current_user.can("archives", "edit") and current_user.can("quality", "edit")
        rows = []
        for check, finding in results:
            document = check.document()
            endpoint = list_endpoint(document)
            row = {"check": check, "count": len(finding.ids),
                   "url": url_for(f"{endpoint}.index_view", only=check.list_code),
                   "examples": [{"name": names.get(pk, ""), "reason": finding.reasons.get(pk, ""),
                                 "url": url_for(f"{endpoint}.details_view", id=pk)} for pk in finding.ids[:SHOWN]]
                   if document is Archive else [],
                   "groups": [], "fix_url": None}
            if check.fix == "assign" and may_fix and finding.ids:
                row["fix_url"] = url_for("archive.bulk_view", op="assign",
                                         ids=",".join(str(pk) for pk in finding.ids[:BULK_LIMIT]),
                                         url=url_for(".index"))
            if check.fix == "merge":
                for group in finding.groups[:GROUPS_SHOWN]:
                    people = [{"name": names.get(pk, ""), "url": url_for("archive.details_view", id=pk)}
                              for pk in group]
                    merge = url_for(".merge_view", kept=group[0], other=group[1]) if may_fix else None
                    row["groups"].append({"people": people, "merge_url": merge})
            rows.append(row)
        return self.render("admin/data_quality.html", rows=rows, settings=snap.settings, may_fix=may_fix)

    # -- merge -----------------------------------------------------------------

    def _archive(self, name: str):
        try:
            record = by_id(Archive, request.values.get(name, ""))
        except (mongoengine.ValidationError, InvalidId):
            record = None
        if record is None or record.voided or not in_scope(record):
            abort(404)
        return record

    @expose("/merge/", methods=("GET", "POST"))
    def merge_view(self):
        if not (current_user.can("archives", "edit") and current_user.can("quality", "edit")):
            abort(403)
        kept, other = self._archive("kept"), self._archive("other")
        if kept.pk == other.pk:
            abort(404)
        form = SecureForm(request.form if request.method == "POST" else None)
        error = None
        rows = compare(kept, other)
        if request.method == "POST":
            take_other = {row.name for row in rows if row.differs and request.form.get(f"take_{row.name}") == "other"}
            if not form.validate():
                error = form.csrf_token.errors[0] if csrf_failed(form) else "提交无效，请重试。"
            else:
                try:
                    outcome = merge_archives(kept, other, take_other, request.form.get("reason", ""),
                                             current_user._get_current_object())
                except DomainError as exc:
                    error = exc.message
                    kept, other = self._archive("kept"), self._archive("other")  # as stored: nothing was written
                    rows = compare(kept, other)
                else:
                    flash(f"已将“{other.name}”合并到“{kept.name}”：{outcome['moved']} 条相关记录改为指向保留的档案，"
                          f"被合并的档案已作废（可在作废记录中查看）。", "success")
                    return redirect(url_for("archive.details_view", id=kept.pk))
        chosen = {row.name: request.form.get(f"take_{row.name}", "kept") for row in rows}
        return self.render("admin/archive_merge.html", kept=kept, other=other, rows=rows, form=form, error=error,
                           chosen=chosen, reason=request.form.get("reason", ""))
