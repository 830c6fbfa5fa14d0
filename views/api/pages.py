"""The admin's pages of the data interface: its tokens, and the Chinese page explaining it."""

from flask import current_app, flash
from flask_admin import expose

from models.api_tokens import issue

from ..base import SecureModelView, SecureView
from .calls import bp
from .declarations import FIGURES, INDICATOR_PARAMETERS, RECORD_PARAMETERS, RECORDS


class ApiTokenView(SecureModelView):
    """Tokens of the data interface: made by the admin (the token is shown once), revoked by voiding."""

    area = "users"
    column_list = ("name", "role", "townships", "token_hint", "last_used_at", "created_at", "note")
    column_labels = {"created_at": "创建时间"}
    column_searchable_list = ("name",)
    column_details_exclude_list = ("version", "token_hash")
    column_export_exclude_list = ("version", "token_hash")
    form_columns = ("name", "role", "townships", "note")
    form_args = {"townships": {"description": "留空表示可读取全区；选择后只能读取所选街道/乡镇的数据。"},
                 "role": {"description": "按该角色的权限读取数据；身份证号一律按“管理者”遮蔽。"}}
    export_types: list = []

    def on_model_change(self, form, model, is_created):
        if is_created:
            self._secret = issue(model)

    def after_model_change(self, form, model, is_created):
        if is_created:
            flash(f"已为“{model.name}”生成令牌：{self._secret}（只显示这一次，请复制后交给对方系统的管理员；"
                  f"遗失请作废后重新生成）", "success")


class ApiGuideView(SecureView):
    """The Chinese page explaining the interface, built from the same declarations as its description."""

    area = "contract"

    @expose("/")
    def index(self):
        return self.render("admin/api_guide.html", records=RECORDS, figures=FIGURES, prefix=bp.url_prefix,
                           record_parameters=RECORD_PARAMETERS, indicator_parameters=INDICATOR_PARAMETERS,
                           limit=current_app.config["API_CALLS_PER_MINUTE"],
                           page_size=current_app.config["API_PAGE_SIZE"])
