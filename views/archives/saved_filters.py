"""常用筛选: a list's filters kept under a name, opened again from the list."""

from urllib.parse import parse_qsl

from bson.errors import InvalidId
from flask import flash, redirect, request
from flask_admin import expose
from flask_login import current_user
from mongoengine import errors as mongoengine_errors

from models.errors import DomainError
from models.saved_filters import filter_query, remove_filter, save_filter, saved_filters

from ..forms import SecureForm, csrf_failed


class SavedFiltersMixin:
    """Save, remove and offer a user's named filters of an archive list."""

    @expose("/saved-filters/", methods=("POST",))
    def save_filter_view(self):
        """Keep the list's current filters under a name (the page posts its own address)."""
        form = SecureForm(request.form)
        pairs = parse_qsl(request.form.get("query", ""), keep_blank_values=False)
        back = self.get_url(".index_view") + ("?" + filter_query(pairs) if filter_query(pairs) else "")
        if not form.validate():
            flash(form.csrf_token.errors[0] if csrf_failed(form) else "提交无效，请重试。", "error")
            return redirect(back)
        try:
            saved = save_filter(current_user._get_current_object(), self.endpoint, request.form.get("name", ""), pairs)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(f"已保存常用筛选“{saved.name}”，以后可在“常用筛选”中直接打开。", "success")
        return redirect(back)

    @expose("/saved-filters/remove/", methods=("POST",))
    def remove_filter_view(self):
        form = SecureForm(request.form)
        if not form.validate():
            flash(form.csrf_token.errors[0] if csrf_failed(form) else "提交无效，请重试。", "error")
        else:
            try:
                removed = remove_filter(current_user._get_current_object(), request.form.get("id", ""))
            except (DomainError, InvalidId, mongoengine_errors.ValidationError):
                flash("该常用筛选不存在或已删除。", "error")
            else:
                flash(f"已删除常用筛选“{removed.name}”。", "success")
        return redirect(self.get_url(".index_view"))

    def render(self, template, **kwargs):
        if template == self.list_template and current_user.is_authenticated:
            kwargs.setdefault("saved_filters", saved_filters(current_user, self.endpoint))
            kwargs.setdefault("current_filters", filter_query(request.args.items(multi=True)))
            kwargs.setdefault("saved_filter_form", SecureForm())
        return super().render(template, **kwargs)
