"""Builds the Flask-Admin instance and its menu."""

from pathlib import Path

from flask import request, url_for
from flask_admin import Admin
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme

import models.rule_checks  # noqa: F401  (registers what saving a rule set, category, theme or indicator checks)
from models.accompaniment import Accompaniment
from models.activities import CommunityEvent, Training
from models.api_tokens import ApiToken
from models.archive_import import (
    KIND_NAMES,
    ImportBatch,  # noqa: F401  (registers the document)
)
from models.archives import Archive, ChildArchive, ElderlyArchive, HomelessArchive
from models.attachments import Attachment
from models.audit import AuditEntry
from models.briefs import Brief, IssuedReport, YearSummary
from models.budget import BudgetLine, BudgetTransfer, Expense
from models.casework import Case, GroupSeries
from models.charity import Donation, Pairing, Partner
from models.concerns import Concern
from models.contracts import Contract
from models.custom_fields import CustomField
from models.escorts import ReturneeEscort
from models.households import Household
from models.indicators import Indicator
from models.other_work import AdoptionAssessment, BureauTask, MarriageWork, MediaArticle
from models.patrols import Patrol
from models.publicity import PublicityActivity
from models.reception import DutyDay, ReceptionContact
from models.reference import Community, PersonCategory, ThemeTag, Township
from models.rules import RuleSet
from models.staffing import StaffMember
from models.subsidy import KINDS, SpotCheck, SubsidyItem
from models.users import User
from models.visits import Visit, policies
from models.volunteers import Volunteer, VolunteerTeam

from .accounts import UserView
from .activities import EventView, TrainingView, VolunteerTeamView, VolunteerView
from .affairs import (
    AdoptionView,
    BureauTaskView,
    MarriageWorkView,
    MediaArticleView,
    StaffMemberView,
)
from .api import ApiGuideView, ApiTokenView
from .api import bp as api_blueprint
from .archive_import import ArchiveImportView
from .archives import AllArchivesView, ChildArchiveView, ElderlyArchiveView, HomelessArchiveView
from .assistance import AccompanimentView, SpotCheckView, SubsidyItemView, SubsidyView
from .attachments import AttachmentView
from .audit import AuditView
from .base import PendingFileView
from .casework import CaseView, GroupSeriesView
from .data_quality import DataQualityView
from .field_sync import FieldView
from .field_sync import register as register_field_files
from .finance import BudgetLineView, BudgetTransferView, BudgetView, ContractView, ExpenseView
from .home import HomeView
from .households import HouseholdView
from .indicators import IndicatorsView, IndicatorView
from .operations import DutyDayView, EscortView, ReceptionView
from .patrols import ConcernView, PatrolView
from .reference import (
    CategoryView,
    CommunityView,
    CustomFieldView,
    RuleSetView,
    ThemeTagView,
    TownshipView,
)
from .reports import BriefView, IssuedReportView, YearSummaryView
from .resources import DonationView, PairingView, PartnerView, PublicityView
from .todo import TodoView
from .visits import ElderlyRegisterView, ScheduleView, VisitView

TRANSLATIONS = Path(__file__).resolve().parent.parent / "admin_app" / "translations"


class ViewLink(MenuLink):
    """A menu entry for a page of a view (``endpoint`` "view.method"): shown exactly to
    those the view lets in, by the view's own check (no menu entry leads to a refusal)."""

    def __init__(self, name, endpoint, category, admin):
        super().__init__(name=name, endpoint=endpoint, category=category)
        self.admin = admin

    def owner(self):
        prefix = self.endpoint.split(".", 1)[0]
        return next((v for v in self.admin._views if v.endpoint == prefix), None)

    def is_accessible(self) -> bool:
        view = self.owner()
        return view is None or view.is_accessible()

    def is_visible(self) -> bool:
        view = self.owner()
        return view is None or view.is_visible()


#: The last step of the breadcrumb on a record's pages, by the view method.
RECORD_STEPS = {"details_view": "详情", "create_view": "新建", "edit_view": "编辑", "void_view": "作废或恢复"}


def breadcrumb(admin, view, endpoint: str | None) -> list[tuple[str, str | None]]:
    """Where a page is, as (name, url) from the start page: the menu's category, the view,
    then the page of the view (a menu entry of its own, or a record's details, form...)."""
    if view is None or view is admin.index_view:
        return []
    steps: list[tuple[str, str | None]] = [("首页", admin.url)]
    if view.category:
        steps.append((view.category, None))
    index = "index_view" if hasattr(view, "index_view") else "index"
    steps.append((view.name, url_for(f"{view.endpoint}.{index}")))
    method = (endpoint or "").split(".", 1)[-1]
    links = {link.endpoint: link.name for link in admin._menu_links} | {
        child.endpoint: child.name for item in admin._menu for child in item.get_children()
        if isinstance(child, MenuLink)}
    if endpoint in links:
        steps[-1] = (links[endpoint], None)
    elif method in RECORD_STEPS:
        steps.append((RECORD_STEPS[method], None))
    return steps


def build_admin(app) -> Admin:
    admin = Admin(
        app,
        name="民政服务站管理系统",
        url="/",
        index_view=HomeView(name="首页", url="/"),
        theme=Bootstrap4Theme(swatch="cerulean", fluid=True),
        translations_path=str(TRANSLATIONS),
    )
    admin.add_view(TodoView(name="待办", endpoint="todo", url="/todo"))
    indicators = "合同指标"
    admin.add_view(IndicatorsView(name="指标总览", endpoint="indicators", url="/indicators", category=indicators))
    admin.add_view(BriefView(Brief, name="工作简报", endpoint="brief", category=indicators))
    admin.add_view(YearSummaryView(YearSummary, name="年度工作总结", endpoint="yearsummary", category=indicators))
    admin.add_view(IssuedReportView(IssuedReport, name="已签发文稿", endpoint="issuedreport", category=indicators))
    admin.add_link(ViewLink("月度关账", "indicators.close_view", indicators, admin))
    admin.add_link(ViewLink("分街道档案导出", "indicators.townships", indicators, admin))
    admin.add_view(AllArchivesView(Archive, name="全部档案", endpoint="archive", category="一人一档"))
    admin.add_view(ChildArchiveView(ChildArchive, name="儿童档案", endpoint="childarchive", category="一人一档"))
    admin.add_view(ElderlyArchiveView(ElderlyArchive, name="老年人档案", endpoint="elderlyarchive", category="一人一档"))
    admin.add_view(HomelessArchiveView(HomelessArchive, name="流浪乞讨人员档案", endpoint="homelessarchive",
                                       category="一人一档"))
    admin.add_view(HouseholdView(Household, name="家庭户", endpoint="household", category="一人一档"))
    admin.add_view(ArchiveImportView(name="Excel 导入", endpoint="archiveimport", url="/archive-import",
                                     category="一人一档"))
    admin.add_view(DataQualityView(name="数据质量", endpoint="quality", url="/data-quality", category="一人一档"))
    admin.add_view(ScheduleView(name="探访计划", endpoint="schedule", url="/schedule", category="探访巡查"))
    admin.add_view(VisitView(Visit, name="探访记录", endpoint="visit", category="探访巡查"))
    admin.add_view(ElderlyRegisterView(name="老人探访登记表", endpoint="elderlyregister", url="/elderly-register",
                                       category="探访巡查"))
    admin.add_view(PatrolView(Patrol, name="街头巡查", endpoint="patrol", category="探访巡查"))
    admin.add_view(FieldView(name="离线采集（手机）", endpoint="field", url="/field", category="探访巡查"))
    register_field_files(app)
    admin.add_view(ConcernView(Concern, name="儿童保护处置", endpoint="concern", category="探访巡查"))
    admin.add_link(ViewLink("儿童保护预警", "concern.alerts_view", "探访巡查", admin))
    admin.add_link(ViewLink("巡查周统计", "patrol.weeks_view", "探访巡查", admin))
    service = "专业服务"
    admin.add_view(CaseView(Case, name="个案", endpoint="case", category=service))
    admin.add_view(GroupSeriesView(GroupSeries, name="小组", endpoint="groupseries", category=service))
    admin.add_view(EventView(CommunityEvent, name="社区活动", endpoint="event", category=service))
    admin.add_view(TrainingView(Training, name="培训", endpoint="training", category=service))
    admin.add_link(ViewLink("培训覆盖情况", "training.coverage_view", service, admin))
    admin.add_view(PublicityView(PublicityActivity, name="宣传活动", endpoint="publicity", category=service))
    admin.add_link(ViewLink("社会救助宣传逐月", "publicity.months_view", service, admin))
    resources = "志愿与资源"
    admin.add_view(VolunteerView(Volunteer, name="志愿者", endpoint="volunteer", category=resources))
    admin.add_view(VolunteerTeamView(VolunteerTeam, name="志愿服务队", endpoint="volunteerteam", category=resources))
    admin.add_view(PartnerView(Partner, name="合作单位", endpoint="partner", category=resources))
    admin.add_view(DonationView(Donation, name="捐赠与发放", endpoint="donation", category=resources))
    admin.add_view(PairingView(Pairing, name="牵手同行结对", endpoint="pairing", category=resources))
    affairs = "事务工作"
    admin.add_view(AccompanimentView(Accompaniment, name="住院陪护", endpoint="accompaniment", category=affairs))
    admin.add_view(SubsidyView(name="补贴监管", endpoint="subsidy", url="/subsidy", category=affairs))
    admin.add_view(SpotCheckView(SpotCheck, name="抽查核查", endpoint="spotcheck", category=affairs))
    admin.add_view(SubsidyItemView(SubsidyItem, name="补贴数据", endpoint="subsidyitem", category=affairs))
    admin.add_view(AdoptionView(AdoptionAssessment, name="收养评估", endpoint="adoption", category=affairs))
    admin.add_view(MarriageWorkView(MarriageWork, name="婚姻与婚育工作", endpoint="marriagework", category=affairs))
    admin.add_view(MediaArticleView(MediaArticle, name="媒体稿件", endpoint="media", category=affairs))
    admin.add_view(BureauTaskView(BureauTask, name="交办任务", endpoint="bureautask", category=affairs))
    admin.add_view(ReceptionView(ReceptionContact, name="来访来电登记", endpoint="reception", category="日常运营"))
    admin.add_view(DutyDayView(DutyDay, name="值班安排", endpoint="dutyday", category="日常运营"))
    admin.add_link(ViewLink("值班表（月历）", "dutyday.month_view", "日常运营", admin))
    admin.add_view(EscortView(ReturneeEscort, name="返乡护送协助", endpoint="escort", category="日常运营"))
    admin.add_link(ViewLink("返乡护送统计", "escort.summary_view", "日常运营", admin))
    admin.add_view(StaffMemberView(StaffMember, name="工作人员", endpoint="staffmember", category="日常运营"))
    admin.add_link(ViewLink("人员配备检查", "staffmember.check_view", "日常运营", admin))
    admin.add_view(BudgetView(name="预算执行", endpoint="budget", url="/budget", category="经费"))
    admin.add_view(ExpenseView(Expense, name="支出登记", endpoint="expense", category="经费"))
    admin.add_view(BudgetTransferView(BudgetTransfer, name="科目调剂", endpoint="budgettransfer", category="经费"))
    admin.add_view(BudgetLineView(BudgetLine, name="预算科目", endpoint="budgetline", category="经费"))
    admin.add_view(ContractView(Contract, name="合同", endpoint="contract", category="经费"))
    admin.add_view(IndicatorView(Indicator, name="合同指标设置", endpoint="indicator", category="经费"))
    admin.add_view(AttachmentView(Attachment, name="资料附件", endpoint="attachment", category="工作记录"))
    admin.add_view(TownshipView(Township, name="街道/乡镇", endpoint="township", category="参考数据"))
    admin.add_view(CommunityView(Community, name="社区/村委", endpoint="community", category="参考数据"))
    admin.add_view(CategoryView(PersonCategory, name="对象类别", endpoint="category", category="参考数据"))
    admin.add_view(ThemeTagView(ThemeTag, name="活动主题标签", endpoint="themetag", category="参考数据"))
    admin.add_view(CustomFieldView(CustomField, name="档案自定义字段", endpoint="customfield", category="参考数据"))
    admin.add_view(RuleSetView(RuleSet, name="业务规则", endpoint="ruleset", category="参考数据"))
    admin.add_view(UserView(User, name="账户管理", endpoint="user", category="系统管理"))
    admin.add_view(AuditView(AuditEntry, name="操作日志", endpoint="audit", category="系统管理"))
    admin.add_view(ApiTokenView(ApiToken, name="数据接口令牌", endpoint="apitoken", category="系统管理"))
    admin.add_view(ApiGuideView(name="数据接口说明", endpoint="apiguide", url="/api-guide", category="系统管理"))
    app.register_blueprint(api_blueprint)
    admin.add_view(PendingFileView(name="已上传待保存的文件", endpoint="pending", url="/pending"))
    admin.add_link(ViewLink("修改密码", "auth.change_password", "我的账户", admin))
    admin.add_link(ViewLink("退出登录", "auth.logout", "我的账户", admin))

    @app.context_processor
    def _breadcrumb():
        def steps(view):
            return breadcrumb(admin, view, request.endpoint)

        return {"breadcrumb": steps}

    return admin


def workbook_routes() -> list[tuple[str, dict, str]]:
    """Every route that hands out a workbook besides the list exports (``/<endpoint>/export/xlsx/``
    of each view whose ``export_types`` holds xlsx): endpoint, arguments and a role that may
    download it. Each is written by models.spreadsheets.write_workbook; tests read them all back."""
    return [
        ("indicators.report", {}, "coordinator"),
        ("budget.export", {}, "coordinator"),
        *(("schedule.export", {"policy": item["code"]}, "coordinator") for item in policies()),
        *(("archiveimport.template", {"kind": kind}, "staff") for kind in KIND_NAMES),
        *(("subsidy.template_view", {"kind": kind}, "coordinator") for kind, _ in KINDS),
    ]
