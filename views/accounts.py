"""Accounts: admins create users, set roles and townships, reset passwords."""

from flask import flash
from flask_login import current_user
from wtforms import PasswordField

from models.errors import DomainError
from models.users import check_password_strength, generate_password, set_user_password

from .base import SecureModelView


class UserView(SecureModelView):
    area = "users"
    code_columns = ("username",)  # the login name: the admin who keeps the accounts sees it
    column_list = ("username", "display_name", "role", "townships", "phone", "active", "last_login_at", "locked_until")
    column_searchable_list = ("username", "display_name", "phone")
    column_filters = ("role", "townships", "active")
    column_details_exclude_list = ("version", "password_hash", "failed_logins")
    column_export_exclude_list = ("version", "password_hash", "failed_logins")
    form_columns = ("username", "display_name", "role", "townships", "phone", "active", "new_password")
    form_extra_fields = {
        "new_password": PasswordField(
            "新密码",
            description="新建时留空则自动生成一个并只显示一次；修改时留空表示不改密码。至少 8 位，含字母和数字。",
        )
    }
    form_args = {"townships": {"description": "留空表示可访问全区；选择后只能查看和处理所选街道/乡镇的记录。"}}
    non_model_fields = ("record_version", "csrf_token", "new_password")

    def on_model_change(self, form, model, is_created):
        password = form.new_password.data or ""
        if is_created:
            self._new_password = password or generate_password()
            model.set_password(self._new_password)
        elif password:
            check_password_strength(password)
        if not is_created and model.pk == current_user.pk and (model.role != "admin" or not model.active):
            raise DomainError("不能停用自己的账户或取消自己的系统管理员角色。", field="role")

    def after_model_change(self, form, model, is_created):
        if is_created:
            if not form.new_password.data:
                flash(f"已为 {model.username} 生成初始密码：{self._new_password}（只显示这一次，请转告本人并提醒修改）", "success")
        elif form.new_password.data:
            try:
                set_user_password(model, form.new_password.data, current_user._get_current_object())
            except DomainError as exc:
                flash(exc.message, "error")
            else:
                flash(f"已重设 {model.username} 的密码。", "success")
