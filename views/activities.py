"""Community events, trainings, volunteers and their teams: the size class of
an event, township coverage of trainings, the volunteer hours ledger and its
printable certificate."""

from flask import abort, request
from flask_admin import expose
from flask_admin.contrib.mongoengine import EmbeddedForm
from flask_login import current_user
from markupsafe import Markup

from models.activities import AUDIENCES, SIZE_LABELS, township_coverage
from models.clock import local_now, local_today
from models.contracts import current_contract
from models.volunteers import SOURCES, ledger

from .base import SecureModelView, reads_its_column_only, year_arg
from .forms import LinesField

SIZE_BADGES = {"large": "badge-success", "small": "badge-info", "none": "badge-secondary"}


def _size(view, context, model, name):
    return Markup(f'<span class="badge {SIZE_BADGES[model.size]}">{SIZE_LABELS[model.size]}</span>')


class VolunteerHoursForm(EmbeddedForm):
    form_ajax_refs = {"volunteer": {"fields": ("name", "phone"), "minimum_input_length": 0,
                                    "placeholder": "输入志愿者姓名"}}


class EventView(SecureModelView):
    area = "records"
    accepts_photos = True
    file_uploads = {"sign_in_sheet": ("签到表扫描件", False)}
    date_fields = ("event_date",)
    column_list = ("event_date", "title", "township", "target_group", "themes", "people_served", "size",
                   "volunteer_activity", "sign_in_sheet")
    column_labels = {"size": "规模"}
    column_formatters = {"size": _size}
    column_formatters_detail = {"size": _size}
    details_extra_columns = ("size",)
    column_formatters_export = {"size": reads_its_column_only(lambda v, c, m, n: SIZE_LABELS[m.size])}
    column_filters = ("township", "target_group", "themes", "event_date", "month", "year", "volunteer_activity",
                      "people_served")
    column_searchable_list = ("title", "place", "summary")
    column_default_sort = ("event_date", True)
    column_details_exclude_list = ("version", "year", "month")
    form_columns = ("title", "event_date", "hours", "place", "township", "target_group", "themes", "people_served",
                    "participants", "named_participants", "volunteer_activity", "volunteers", "partners", "resources",
                    "summary")
    form_overrides = {"named_participants": LinesField}
    form_args = {"people_served": {"description": "以签到表为准：大型 >50 人，中小型 10–50 人，不足 10 人不计规模。"},
                 "named_participants": {"description": "未建档的参与者，每行一个姓名（选填）。"},
                 "volunteer_activity": {"description": "由志愿服务队组织、计入“志愿者活动”的，请勾选并登记志愿者时数。"}}
    form_ajax_refs = {"participants": {"fields": ("name", "name_initials"), "minimum_input_length": 1,
                                       "placeholder": "输入已建档参与者姓名"}}
    form_subdocuments = {"volunteers": {"form_subdocuments": {None: VolunteerHoursForm()}}}
    form_widget_args = {"summary": {"rows": 3}}

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET":
            form.event_date.data = local_today()
        return form


class AttendeeForm(EmbeddedForm):
    form_ajax_refs = {"volunteer": {"fields": ("name", "phone"), "minimum_input_length": 0,
                                    "placeholder": "参训的是已登记志愿者时选择"}}


class TrainingView(SecureModelView):
    area = "records"
    accepts_photos = True
    file_uploads = {"materials": ("培训资料（课件、签到表）", False)}
    date_fields = ("training_date",)
    column_list = ("training_date", "title", "audience", "hours", "trainer", "attendee_count", "covered_townships")
    column_filters = ("audience", "training_date", "year", "covered_townships")
    column_searchable_list = ("title", "trainer", "summary")
    column_default_sort = ("training_date", True)
    column_details_exclude_list = ("version", "year", "month")
    form_columns = ("title", "training_date", "audience", "hours", "trainer", "place", "attendees", "summary")
    form_subdocuments = {"attendees": {"form_subdocuments": {None: AttendeeForm()}}}
    form_args = {"attendees": {"description": "每位参训人员：姓名、所属街道/乡镇（用于计算各街道覆盖）、身份。"}}
    form_widget_args = {"summary": {"rows": 3}}

    @expose("/coverage/")
    def coverage_view(self):
        year = str(year_arg())
        audience = request.args.get("audience") or "child_workers"
        if audience not in dict(AUDIENCES):
            abort(404)
        coverage = township_coverage(audience, year)
        return self.render("admin/training_coverage.html", coverage=coverage, year=year, audience=audience,
                           audiences=AUDIENCES)


class VolunteerTeamView(SecureModelView):
    area = "records"
    date_fields = ("founded_on",)
    column_list = ("name", "leader", "founded_on", "coordinator")
    form_columns = ("name", "leader", "founded_on", "coordinator", "description")


class VolunteerView(SecureModelView):
    area = "records"
    date_fields = ("joined_on",)
    column_list = ("name", "sex", "phone", "teams", "skills", "status", "total_hours", "training_hours")
    column_filters = ("teams", "status", "total_hours", "training_hours")
    column_searchable_list = ("name", "phone", "skills", "organisation")
    form_columns = ("name", "sex", "phone", "teams", "skills", "organisation", "joined_on", "status")
    column_details_exclude_list = ("version", "totals_seq")
    column_export_exclude_list = ("version", "totals_seq")

    def details_links(self, model):
        return [("服务时数明细与证明", self.get_url(".certificate_view", id=model.pk))]

    @expose("/certificate/")
    def certificate_view(self):
        volunteer = self.get_one(request.args.get("id", ""))
        if volunteer is None:
            abort(404)
        year = year_arg(optional=True)  # the certificate covers every year unless asked for one
        year = str(year) if year is not None else None
        entries = ledger(volunteer.pk, year)
        total = round(sum(e.hours for e in entries), 2)
        contract = current_contract()
        return self.render("admin/volunteer_certificate.html", volunteer=volunteer, entries=entries, total=total,
                           year=year, sources=dict(SOURCES), issued_at=local_now(),
                           station=contract.station if contract else "民政服务站", issuer=current_user.display_name)
