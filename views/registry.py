"""Builds the Flask-Admin instance and its menu."""

from pathlib import Path

from flask_admin import Admin
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme

from models.archive_import import ImportBatch  # noqa: F401  (registers the document)
from models.archives import Archive, ChildArchive, ElderlyArchive, HomelessArchive
from models.attachments import Attachment
from models.audit import AuditEntry
from models.budget import BudgetLine, BudgetTransfer, Expense
from models.concerns import Concern
from models.contracts import Contract
from models.custom_fields import CustomField
from models.escorts import ReturneeEscort
from models.patrols import Patrol
from models.reception import DutyDay, ReceptionContact
from models.reference import Community, PersonCategory, Township
from models.rules import RuleSet
from models.users import User
from models.visits import Visit

from .accounts import UserView
from .archive_import import ArchiveImportView
from .archives import AllArchivesView, ChildArchiveView, ElderlyArchiveView, HomelessArchiveView
from .attachments import AttachmentView
from .audit import AuditView
from .base import HomeView
from .finance import BudgetLineView, BudgetTransferView, BudgetView, ContractView, ExpenseView
from .operations import DutyDayView, EscortView, ReceptionView
from .patrols import ConcernView, PatrolView
from .reference import CategoryView, CommunityView, CustomFieldView, RuleSetView, TownshipView
from .visits import ElderlyRegisterView, ScheduleView, VisitView

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
    admin.add_view(AllArchivesView(Archive, name="全部档案", endpoint="archive", category="一人一档"))
    admin.add_view(ChildArchiveView(ChildArchive, name="儿童档案", endpoint="childarchive", category="一人一档"))
    admin.add_view(ElderlyArchiveView(ElderlyArchive, name="老年人档案", endpoint="elderlyarchive", category="一人一档"))
    admin.add_view(HomelessArchiveView(HomelessArchive, name="流浪乞讨人员档案", endpoint="homelessarchive",
                                       category="一人一档"))
    admin.add_view(ArchiveImportView(name="Excel 导入", endpoint="archiveimport", url="/archive-import",
                                     category="一人一档"))
    admin.add_view(ScheduleView(name="探访计划", endpoint="schedule", url="/schedule", category="探访巡查"))
    admin.add_view(VisitView(Visit, name="探访记录", endpoint="visit", category="探访巡查"))
    admin.add_view(ElderlyRegisterView(name="老人探访登记表", endpoint="elderlyregister", url="/elderly-register",
                                       category="探访巡查"))
    admin.add_view(PatrolView(Patrol, name="街头巡查", endpoint="patrol", category="探访巡查"))
    admin.add_view(ConcernView(Concern, name="儿童保护处置", endpoint="concern", category="探访巡查"))
    admin.add_link(MenuLink(name="儿童保护预警", endpoint="concern.alerts_view", category="探访巡查"))
    admin.add_link(MenuLink(name="巡查周统计", endpoint="patrol.weeks_view", category="探访巡查"))
    admin.add_view(ReceptionView(ReceptionContact, name="来访来电登记", endpoint="reception", category="日常运营"))
    admin.add_view(DutyDayView(DutyDay, name="值班安排", endpoint="dutyday", category="日常运营"))
    admin.add_link(MenuLink(name="值班表（月历）", endpoint="dutyday.month_view", category="日常运营"))
    admin.add_view(EscortView(ReturneeEscort, name="返乡护送协助", endpoint="escort", category="日常运营"))
    admin.add_link(MenuLink(name="返乡护送统计", endpoint="escort.summary_view", category="日常运营"))
    admin.add_view(BudgetView(name="预算执行", endpoint="budget", url="/budget", category="经费"))
    admin.add_view(ExpenseView(Expense, name="支出登记", endpoint="expense", category="经费"))
    admin.add_view(BudgetTransferView(BudgetTransfer, name="科目调剂", endpoint="budgettransfer", category="经费"))
    admin.add_view(BudgetLineView(BudgetLine, name="预算科目", endpoint="budgetline", category="经费"))
    admin.add_view(ContractView(Contract, name="合同", endpoint="contract", category="经费"))
    admin.add_view(AttachmentView(Attachment, name="资料附件", endpoint="attachment", category="工作记录"))
    admin.add_view(TownshipView(Township, name="街道/乡镇", endpoint="township", category="参考数据"))
    admin.add_view(CommunityView(Community, name="社区/村委", endpoint="community", category="参考数据"))
    admin.add_view(CategoryView(PersonCategory, name="对象类别", endpoint="category", category="参考数据"))
    admin.add_view(CustomFieldView(CustomField, name="档案自定义字段", endpoint="customfield", category="参考数据"))
    admin.add_view(RuleSetView(RuleSet, name="业务规则", endpoint="ruleset", category="参考数据"))
    admin.add_view(UserView(User, name="账户管理", endpoint="user", category="系统管理"))
    admin.add_view(AuditView(AuditEntry, name="操作日志", endpoint="audit", category="系统管理"))
    admin.add_link(MenuLink(name="修改密码", endpoint="auth.change_password", category="我的账户"))
    admin.add_link(MenuLink(name="退出登录", endpoint="auth.logout", category="我的账户"))
    return admin
