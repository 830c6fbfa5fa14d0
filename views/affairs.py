"""Other contracted work and the staff roster: adoption assessments, the
marriage work log, media articles, bureau tasks, and the staffing check."""

from flask import request
from flask_admin import expose
from markupsafe import Markup

from models.clock import local_today
from models.dates import parse_date
from models.other_work import TASK_STATES
from models.staffing import staffing_check

from .base import SecureModelView


class AdoptionView(SecureModelView):
    area = "records"
    file_uploads = {"report": ("评估报告", False)}
    date_fields = ("assigned_on", "home_visit_on", "reported_on")
    column_list = ("case_number", "child_alias", "township", "within_city", "assigned_on", "home_visit_on",
                   "reported_on", "status", "cost_fen")
    column_filters = ("status", "within_city", "year", "township")
    column_searchable_list = ("case_number", "child_alias", "applicants")
    column_default_sort = ("assigned_on", True)
    column_details_exclude_list = ("version", "year")
    form_columns = ("case_number", "child_alias", "applicants", "township", "within_city", "assigned_on",
                    "home_visit_on", "reported_on", "cost_fen", "notes")
    form_args = {"cost_fen": {"description": "据实结算：按实际开销填写，结余资金统筹使用（见“经费 → 预算执行”）。"},
                 "child_alias": {"description": "请用化名或编号，不填写儿童真实姓名。"}}


class MarriageWorkView(SecureModelView):
    area = "records"
    date_fields = ("work_date",)
    column_list = ("work_date", "kind", "content", "volumes", "hours", "staff")
    column_filters = ("kind", "work_date", "year")
    column_searchable_list = ("content", "staff")
    column_default_sort = ("work_date", True)
    form_columns = ("work_date", "kind", "content", "volumes", "hours", "staff")
    form_widget_args = {"content": {"rows": 3}}


class MediaArticleView(SecureModelView):
    area = "records"
    file_uploads = {"scan": ("版面截图/扫描件", False)}
    date_fields = ("published_on",)
    column_list = ("published_on", "title", "outlet", "level", "link", "scan")
    column_filters = ("level", "published_on", "year")
    column_searchable_list = ("title", "outlet", "author")
    column_default_sort = ("published_on", True)
    form_columns = ("title", "outlet", "level", "published_on", "author", "link")
    form_args = {"level": {"description": "市级及以上媒体采用的稿件计入指标（全年不少于 6 篇）。"}}


def _task_status(view, context, model, name):
    label = dict(TASK_STATES).get(model.status, "")
    return Markup(f'{label} <span class="badge badge-danger">逾期</span>') if model.overdue else label


class BureauTaskView(SecureModelView):
    area = "records"
    file_uploads = {"attachment": ("报送材料", False)}
    date_fields = ("assigned_on", "due_on", "completed_on")
    column_list = ("title", "assigned_by", "assigned_on", "due_on", "owner", "status", "completed_on")
    column_formatters = {"status": _task_status}
    column_filters = ("status", "owner", "due_on", "assigned_on")
    column_searchable_list = ("title", "assigned_by", "result")
    form_columns = ("title", "assigned_by", "assigned_on", "due_on", "owner", "status", "completed_on", "result")
    form_widget_args = {"result": {"rows": 3}}


class StaffMemberView(SecureModelView):
    area = "staffing"
    date_fields = ("started_on", "ended_on")
    column_list = ("name", "sex", "employment", "education", "major", "major_field", "relevant_certificate", "post",
                   "street_rescue", "started_on", "ended_on")
    column_filters = ("employment", "sex", "education", "major_field", "street_rescue", "ended_on")
    column_searchable_list = ("name", "major", "post", "certificates")
    form_columns = ("name", "sex", "employment", "education", "major", "major_field", "certificates",
                    "relevant_certificate", "post", "street_rescue", "phone", "account", "started_on", "ended_on")

    @expose("/check/")
    def check_view(self):
        day = parse_date(request.args.get("day")) or local_today()
        return self.render("admin/staffing_check.html", result=staffing_check(day))
