"""Builds the Flask-Admin instance and its menu."""

from pathlib import Path

from flask_admin import Admin
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme

from models.attachments import Attachment
from models.audit import AuditEntry
from models.reference import Community, PersonCategory, Township
from models.users import User

from .accounts import UserView
from .attachments import AttachmentView
from .audit import AuditView
from .base import HomeView
from .reference import CategoryView, CommunityView, TownshipView

TRANSLATIONS = Path(__file__).resolve().parent.parent / "admin_app" / "translations"


def build_admin(app) -> Admin:
    admin = Admin(
        app,
        name="民政服务站管理系统",
        url="/",
        index_view=HomeView(name="首页", url="/"),
        theme=Bootstrap4Theme(swatch="cerulean", fluid=True),
        translations_path=str(TRANSLATIONS),
    )
    admin.add_view(AttachmentView(Attachment, name="资料附件", endpoint="attachment", category="工作记录"))
    admin.add_view(TownshipView(Township, name="街道/乡镇", endpoint="township", category="参考数据"))
    admin.add_view(CommunityView(Community, name="社区/村委", endpoint="community", category="参考数据"))
    admin.add_view(CategoryView(PersonCategory, name="对象类别", endpoint="category", category="参考数据"))
    admin.add_view(UserView(User, name="账户管理", endpoint="user", category="系统管理"))
    admin.add_view(AuditView(AuditEntry, name="操作日志", endpoint="audit", category="系统管理"))
    admin.add_link(MenuLink(name="修改密码", endpoint="auth.change_password", category="我的账户"))
    admin.add_link(MenuLink(name="退出登录", endpoint="auth.logout", category="我的账户"))
    return admin
