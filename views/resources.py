"""Social resources and publicity: partners, donations, 牵手同行 pairings,
and publicity activities with their topics and townships."""

from flask import request
from flask_admin import expose
from flask_admin.contrib.mongoengine import EmbeddedForm

from models.clock import local_today
from models.periods import period_label
from models.publicity import topic_months

from .base import SecureModelView, user_townships, year_arg
from .forms import DateOnlyField


class PartnerView(SecureModelView):
    area = "records"
    column_list = ("name", "kind", "contact", "phone", "cooperation")
    column_filters = ("kind",)
    column_searchable_list = ("name", "contact", "cooperation")
    form_columns = ("name", "kind", "contact", "phone", "address", "cooperation")
    form_widget_args = {"cooperation": {"rows": 3}}


class DonationView(SecureModelView):
    area = "records"
    file_uploads = {"receipt": ("捐赠凭证/签收单", False)}
    date_fields = ("donated_on",)
    column_list = ("donated_on", "direction", "partner", "kind", "amount_fen", "items", "value_fen", "event",
                   "recipient")
    column_filters = ("direction", "kind", "partner", "donated_on", "year", "township")
    column_searchable_list = ("items", "notes")
    column_default_sort = ("donated_on", True)
    column_details_exclude_list = ("version", "year")
    form_columns = ("direction", "donated_on", "partner", "kind", "amount_fen", "items", "value_fen", "event",
                    "recipient", "township", "notes")
    form_ajax_refs = {"recipient": {"fields": ("name", "name_initials"), "minimum_input_length": 1,
                                    "placeholder": "输入受助对象姓名"},
                      "event": {"fields": ("title",), "minimum_input_length": 0, "placeholder": "输入活动名称"}}

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET":
            form.donated_on.data = local_today()
        return form


class PairingActivityForm(EmbeddedForm):
    form_overrides = {"held_on": DateOnlyField}


class PairingView(SecureModelView):
    area = "records"
    date_fields = ("started_on", "ended_on")
    column_list = ("child", "township", "caring_parent", "parent_phone", "started_on", "ended_on", "activity_count")
    column_filters = ("township", "started_on", "ended_on")
    column_searchable_list = ("caring_parent", "parent_organisation")
    column_default_sort = ("started_on", True)
    form_columns = ("child", "caring_parent", "parent_phone", "parent_organisation", "guardian_contact", "started_on",
                    "ended_on", "activities")
    form_ajax_refs = {"child": {"fields": ("name", "name_initials"), "minimum_input_length": 1,
                                "placeholder": "输入儿童姓名"}}
    form_subdocuments = {"activities": {"form_subdocuments": {None: PairingActivityForm()}}}


class PublicityView(SecureModelView):
    area = "records"
    accepts_photos = True
    date_fields = ("held_on",)
    column_list = ("held_on", "title", "format", "topics", "townships", "audience", "people_reached",
                   "materials_given")
    column_filters = ("topics", "townships", "format", "audience", "held_on", "month", "year")
    column_searchable_list = ("title", "place", "materials_made", "summary")
    column_default_sort = ("held_on", True)
    column_details_exclude_list = ("version", "year", "month")
    form_columns = ("title", "held_on", "format", "topics", "townships", "place", "audience", "people_reached",
                    "hours", "materials_made", "materials_given", "summary")
    form_args = {"townships": {"description": "社会救助专项宣传要求每月一场、全年覆盖所有乡镇（街道）。"}}
    form_widget_args = {"summary": {"rows": 3}}

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET":
            form.held_on.data = local_today()
        return form

    @expose("/months/")
    def months_view(self):
        year = str(year_arg())
        topic = request.args.get("topic") or "social_assistance"
        counts = topic_months(topic, year, user_townships())
        months = [{"key": f"{year}-{m:02d}", "label": period_label("month", f"{year}-{m:02d}"),
                   "count": counts.get(f"{year}-{m:02d}", 0)} for m in range(1, 13)]
        return self.render("admin/publicity_months.html", months=months, year=year, total=sum(counts.values()),
                           today_key=local_today().strftime("%Y-%m"))
