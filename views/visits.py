"""Visits and the schedule: record a visit with photos (phone camera), see who
is due this week, month and quarter, the misses, the workload, compliance."""

import datetime as dt

from bson import ObjectId
from bson.errors import InvalidId
from flask import abort, flash, request, url_for
from flask_admin import expose
from flask_admin.form import rules
from flask_login import current_user
from wtforms import MultipleFileField, SelectMultipleField

from models.archives import Archive
from models.base import WHOLE_RESULT, ref_id
from models.clock import local_now, local_today
from models.contracts import current_contract
from models.errors import DomainError, PermissionDenied
from models.loading import related
from models.periods import PERIOD_LABELS, period_bounds, period_label
from models.reference import Community, Township
from models.spreadsheets import Column, Sheet, TitleBlock, write_workbook
from models.users import User
from models.visit_calendar import (
    compliance_start,
    month_calendar,
    schedule_period,
    schedule_townships,
)
from models.visits import (
    MODE_LABELS,
    UNASSIGNED,
    Visit,
    cohort_filter,
    compliance,
    due_query,
    policies,
    policy,
    register_policy,
    request_risk_review,
    schedule,
)

from .base import (
    SecureModelView,
    SecureView,
    audit,
    choosable,
    reads_its_column_only,
    scope_query,
    send_xlsx,
    user_townships,
)
from .forms import HiddenFieldRule
from .households import CheckboxList, OfferRule, household_offer
from .person_filter import OnePersonList


def _counts(view, context, model, name):
    return "是" if model.counts_as_home_visit == "yes" else "否"


class VisitView(OnePersonList, SecureModelView):
    """``?person=`` lists the visits of one person."""

    area = "records"
    person_notice = "只显示“{name}”的探访记录。"
    file_fields = ("photos.file", "photos.thumbnail")
    column_list = ("visited_at", "people", "township", "mode", "contact", "visitors", "counts_as_home_visit",
                   "photos", "findings")
    column_labels = {"counts_as_home_visit": "计入入户"}
    accepts_photos = True
    column_formatters = {"counts_as_home_visit": _counts}
    column_formatters_detail = {"counts_as_home_visit": _counts}
    column_formatters_export = {"counts_as_home_visit": reads_its_column_only(
        lambda v, c, m, n: "是" if m.counts_as_home_visit == "yes" else "否")}
    column_filters = ("township", "mode", "contact", "visitors", "visited_at", "week", "month", "day")
    column_searchable_list = ("notes", "findings", "volunteers")
    column_default_sort = ("visited_at", True)
    column_details_exclude_list = ("version", "year", "quarter", "month", "week", "day")
    #: The field's order: the person, the photo, what was seen, how; the rest folds under 更多.
    form_columns = ("people", "household_members", "photo_upload", "notes", "mode", "contact", "visited_at", "visitors",
                    "volunteer_members", "volunteers", "living", "guardianship", "safety", "health", "school_life",
                    "needs", "findings", "suggested_risk", "follow_up")
    form_create_rules = form_edit_rules = (
        HiddenFieldRule("record_version"), "people", OfferRule("household_members"), "photo_upload", "notes", "mode", "contact", "visited_at",
        rules.HTML('<details class="form-more" id="visit-more"><summary class="btn btn-outline-primary btn-tap">'
                   '更多（探访社工、志愿者、分项情况、发现的问题、跟进）</summary>'),
        "visitors", "volunteer_members", "volunteers", "living", "guardianship", "safety", "health", "school_life",
        "needs", "findings", "suggested_risk", "follow_up",
        rules.HTML("</details>"))
    create_template = "admin/visit_create.html"
    edit_template = "admin/visit_edit.html"
    form_ajax_refs = {
        "volunteer_members": {"fields": ("name", "phone"), "minimum_input_length": 0, "placeholder": "已登记的志愿者"},
        "people": {"fields": ("name", "name_initials", "id_number"), "placeholder": "输入姓名或拼音首字母",
                   "minimum_input_length": 1},
        "visitors": {"fields": ("display_name", "username"), "placeholder": "输入社工姓名",
                     "minimum_input_length": 0},
    }
    form_extra_fields = {"household_members": SelectMultipleField(
        "同户待访成员", choices=[], coerce=str, description="勾选后，这次探访同时记入这些家庭成员（每人本期只计一次）。",
        widget=CheckboxList()), "photo_upload": MultipleFileField(
        "照片", description="入户探访至少一张；可直接用手机拍照，只接受图片。",
        render_kw={"accept": "image/*", "capture": "environment", "multiple": True, "class": "photo-input"})}
    form_widget_args = {name: {"rows": 2} for name in ("living", "guardianship", "safety", "health", "school_life",
                                                        "needs", "findings", "follow_up")}
    form_widget_args["notes"] = {"rows": 4}
    non_model_fields = ("record_version", "csrf_token", "photo_upload", "household_members")
    extra_css = None

    def create_form(self, obj=None):
        form = super().create_form(obj)
        form._validated_ruleset = True  # the rules lay out every field; keep the token and the version
        if request.method == "GET":
            ids = [i for i in request.args.get("person", "").split(",") if i]
            people = []
            for pk in ids[:10]:
                try:
                    person = scope_query(Archive.objects(pk=ObjectId(pk)), Archive).first()
                except InvalidId:
                    person = None
                if person is not None:
                    people.append(person)
            if people:
                form.people.data = people
            form.visited_at.data = local_now().replace(second=0)
            form.visitors.data = [current_user._get_current_object()]
        self._offer_household(form)
        return form

    def _offer_household(self, form):
        """The other due members of the chosen people's households, as checkboxes (none: no field)."""
        form.household_members.choices = household_offer(list(form.people.data or []))

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form._validated_ruleset = True
        form.household_members.choices = []  # offered when a visit is recorded; an edit changes the people directly
        return form

    def populate(self, form, model):
        super().populate(form, model)
        if "household_members" in form and form.household_members.data:
            chosen = {str(ref_id(p)) for p in model.people or []}
            extra = [ObjectId(pk) for pk in form.household_members.data if pk not in chosen]
            model.people = [*list(model.people or []), *Archive.objects(pk__in=extra)]
        if model.people:
            model.township = model.people[0].township

    def check_scope(self, model):
        townships = user_townships()
        if townships is not None:
            for person in model.people or []:
                if ref_id(person._data.get("township")) not in townships:
                    raise PermissionDenied(f"“{person.name}”不在您负责的街道/乡镇。", field="people")

    def after_model_change(self, form, model, is_created):
        flagged = request_risk_review(model, current_user._get_current_object())
        for child in flagged:
            flash(f"已为“{child.name}”开启重新评估任务（探访建议调整风险等级）。", "warning")
        if any(p.duplicate_of for p in model.photos or []):
            flash("提示：有照片与其他探访记录中的照片相同，已标记“重复使用”。", "warning")

    def details_links(self, model):
        links = [(f"{person.name}的档案", url_for("archive.details_view", id=person.pk)) for person in model.people]
        if current_user.can("records", "create"):
            for person in model.people:
                if person.kind_key == "child":
                    links.append((f"为{person.name}启动儿童保护处置",
                                  url_for("concern.create_view", child=person.pk, source="visit", record=model.pk)))
        return links

    def get_save_return_url(self, model, is_created=False):
        return request.args.get("url") or self.get_url(".details_view", id=str(model.pk))


# ---------------------------------------------------------------- schedule


class ScheduleView(SecureView):
    """Who is due in the current week, month, quarter and year, and not yet visited."""

    area = "records"
    page_size = 50

    def _policy(self):
        code = request.args.get("policy") or policies()[0]["code"]
        try:
            return policy(code)
        except DomainError:
            abort(404)

    def _period(self, item) -> tuple[str, dt.date, dt.date]:
        try:
            return schedule_period(item, request.args.get("period"))
        except (ValueError, KeyError):
            abort(404)

    def _townships(self) -> tuple[list | None, str | None]:
        return schedule_townships(user_townships(), request.args.get("township") or "")

    @expose("/")
    def index(self):
        item = self._policy()
        key, start, end = self._period(item)
        townships, township = self._townships()
        worker = request.args.get("worker") or None
        worker_id = ObjectId(worker) if worker and ObjectId.is_valid(worker) else (UNASSIGNED if worker == UNASSIGNED
                                                                                   else None)
        page = max(0, request.args.get("page", 0, type=int))
        plan = schedule(item, key, townships, worker_id, page, self.page_size)
        total, rows = plan["total"], plan["due"]
        load, summary, previous = plan["workload"], plan["summary"], plan["previous"]
        missed_last = plan["missed_last"]
        user_ids = {r.get("worker") for r in rows} | {w["id"] for w in load["worker"]}
        workers = {u.pk: u for u in User.objects(pk__in=[i for i in user_ids if i]).only("display_name", "username")}
        communities = {c.pk: c.name for c in Community.objects(pk__in=[r["community"] for r in rows
                                                                       if r.get("community")]).only("name")}
        names = {t.pk: t.name for t in Township.objects.only("name")}
        return self.render(
            "admin/schedule.html", item=item, key=key, label=period_label(item["period"], key), start=start,
            end=end, rows=rows, total=total, page=page, pages=(total + self.page_size - 1) // self.page_size,
            missed_last=missed_last, previous_label=period_label(item["period"], previous), communities=communities,
            workload=load, workers=workers, township_names=names,
            summary=summary, worker=worker, period_labels=PERIOD_LABELS, township=township,
            township_choices=choosable(Township).order_by("code").only("name"),
            can_assign=current_user.can("archives", "edit") and current_user.role == "coordinator")

    @expose("/export")
    def export(self):
        item = self._policy()
        key = self._period(item)[0]
        query = related(due_query(item, key, self._townships()[0]).order_by("township", "name"))

        def rows():
            for person in query:
                yield [person.name, str(person.township or ""), str(person.community or ""),
                       str(person.worker or ""), person.current_address or "", person.phone or "", "", ""]

        label = period_label(item["period"], key)
        columns = ["姓名", "街道/乡镇", "社区/村委", "责任社工", "现住址", "电话", Column("探访日期", min_width=12),
                   Column("签名", min_width=12)]
        block = TitleBlock.for_contract(f"待探访名单（{item['name']}）", current_contract(), period=label,
                                        made_by=current_user.display_name, as_of=local_today())
        path = write_workbook([Sheet("待探访名单", columns, rows())], block)
        audit("export", collection="archives", detail=f"导出待探访名单：{item['name']} {period_label(item['period'], key, with_year=True)}")
        return send_xlsx(path, f"待探访名单_{item['name']}_{period_label(item['period'], key, with_year=True)}.xlsx")

    @expose("/calendar")
    def calendar(self):
        """A month of counted home visits, day by day."""
        month = request.args.get("month") or local_today().strftime("%Y-%m")
        try:
            calendar = month_calendar(month, user_townships())
        except ValueError:
            abort(404)
        return self.render("admin/visit_calendar.html", weeks=calendar["weeks"], per_day=calendar["per_day"],
                           first=calendar["first"], month=month, previous_month=calendar["previous_month"],
                           next_month=calendar["next_month"], label=period_label("month", month))

    @expose("/compliance")
    def compliance_view(self):
        item = self._policy()
        today = local_today()
        try:
            start = compliance_start(request.args.get("from"), today)
        except ValueError:
            abort(404)
        rows = compliance(item, start, today, user_townships())
        for row in rows:
            row["label"] = period_label(item["period"], row["key"])
        return self.render("admin/compliance.html", item=item, rows=rows, start=start, policies=policies())


class ElderlyRegisterView(SecureView):
    """探访登记表: the month's visits to 特困 and 高龄 elderly, printable."""

    area = "records"

    @expose("/")
    def index(self):
        month = request.args.get("month") or local_today().strftime("%Y-%m")
        try:
            period_bounds("month", month)
        except ValueError:
            abort(404)
        try:
            item = register_policy()
        except DomainError as exc:  # the rule it prints is gone (stored before the integrity check)
            return self.render("admin/elderly_register.html", people=[], visits={}, month=month,
                               label=period_label("month", month), mode_labels=MODE_LABELS, printed_at=local_now(),
                               problem=f"无法生成登记表：{exc.message}请在“参考数据 → 业务规则”中修正 register_policy。")
        people = related(Archive.objects(__raw__=cohort_filter(item, user_townships()))
                         .order_by("township", "name").batch_size(WHOLE_RESULT))
        ids = [p.pk for p in people]
        visits = {}
        for visit in related(Visit.objects(month=month, voided=False, people__in=ids).order_by("visited_at")
                             .batch_size(WHOLE_RESULT)):
            for person in visit.people:
                visits.setdefault(getattr(person, "pk", person), []).append(visit)
        return self.render("admin/elderly_register.html", people=people, visits=visits, month=month,
                           label=period_label("month", month), mode_labels=MODE_LABELS,
                           printed_at=local_now())

