"""Who may open a page and do what on it: the base of custom pages (``SecureView``)
and the model view's permission checks (``Access``), from the user's role and the
view's area."""

from flask import abort, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user


class SecureView(BaseView):
    """Base of custom (non-model) pages."""

    area = "records"
    action_needed = "view"

    def is_accessible(self):
        return current_user.is_authenticated and current_user.can(self.area, self.action_needed)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class Access:
    """A model view's permission checks: the area's actions the user's role allows."""

    def _may(self, action_name):
        return current_user.is_authenticated and current_user.can(self.area, action_name)

    def is_accessible(self):
        return self._may("view")

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    #: False where records come from elsewhere (an import, a draw, the system): no "create" form.
    creatable = True
    #: False where records are never edited in a form (the audit trail, imported data).
    editable = True

    @property
    def can_create(self):
        return self.creatable and self._may("create")

    @property
    def can_edit(self):
        return self.editable and self._may("edit")

    @property
    def can_export(self):
        return self._may("export")

    @property
    def can_void(self):
        return self._may("void") and "voided" in self.model._fields

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        if not self.can_create:
            abort(403)
        return super().create_view()

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        if not self.can_edit:
            abort(403)
        return super().edit_view()

    def is_action_allowed(self, name):
        if name in ("void", "restore"):
            return self.can_void
        if name == "delete":
            return False
        return super().is_action_allowed(name)
