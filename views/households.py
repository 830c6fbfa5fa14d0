"""Households (户): the list, the form, and the household's page with every member across
the three kinds of archive, their due visits, risk levels, services and the household's
timeline; members are added, and leave, from that page (nothing is removed)."""

from bson import ObjectId
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.form import rules
from flask_admin.helpers import get_redirect_target
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import SelectField, StringField
from wtforms.validators import Optional

from models import idnumber
from models.archives import KIND_LABELS, RISK_LABELS, STATUS_LABELS, Archive
from models.base import ref_id
from models.errors import DomainError
from models.household_page import due_members, household_events
from models.households import (
    HEAD,
    RELATION_LABELS,
    RELATIONS,
    HouseholdMember,
    add_member,
    households_of,
    member_archives,
    record_leaving,
)
from models.reference import Township
from models.sensitivity import visible_value
from models.users import User
from models.visits import Visit

from .base import SecureModelView, scope_query, user_townships
from .forms import SecureForm, csrf_failed
from .links import details_url
from .person_filter import OnePersonList


def _member_count(view, context, model, name):
    return f"{len(model.member_ids or [])} 人"


class MemberForm(SecureForm):
    person = StringField("身份证号或姓名")
    relation = SelectField("与户主关系", choices=list(RELATIONS), default="other")


class LeaveForm(SecureForm):
    person = StringField("成员")
    reason = StringField("离开原因", validators=[Optional()])


class HouseholdView(OnePersonList, SecureModelView):
    """``?person=`` lists the household of one person."""

    area = "archives"
    person_field = "member_ids"
    person_notice = "只显示“{name}”所在的家庭户。"
    column_list = ("head_name", "head_id_number", "township", "community", "address", "member_ids", "created_at")
    column_labels = {"member_ids": "当前成员"}
    column_formatters = {"member_ids": _member_count}
    column_filters = ("township", "community")
    column_searchable_list = ("head_name", "address")
    column_default_sort = ("created_at", True)
    form_columns = ("head_name", "head_id_number", "address", "township", "community", "note")
    column_details_exclude_list = ("version", "member_ids", "townships", "members")
    column_export_exclude_list = ("version", "member_ids", "members")
    details_template = "admin/household_details.html"

    def create_form(self, obj=None):
        form = super().create_form(obj)
        person = self._person_arg()
        if request.method == "GET" and person is not None:
            form.head_name.data = person.name
            form.head_id_number.data = person.id_number
            form.address.data = person.current_address
            form.township.data = person.township
            form.community.data = person.community
        return form

    def _person_arg(self):
        """The archive the household is created from (``?person=``), when the user may see it."""
        pk = request.args.get("person", "")
        if not ObjectId.is_valid(pk):
            return None
        return scope_query(Archive.objects(pk=ObjectId(pk), voided=False), Archive).first()

    def on_model_change(self, form, model, is_created):
        person = self._person_arg() if is_created else None
        if person is not None and not model.members:
            relation = HEAD if (person.id_number and person.id_number == idnumber.normalise(model.head_id_number or "")) \
                else "other"
            model.members = [HouseholdMember(person=person.pk, relation=relation)]
            model.prepare()  # the member's township joins the household's
        super().on_model_change(form, model, is_created)

    # -- the household's page --------------------------------------------------

    @expose("/details/")
    def details_view(self):
        household = self.get_one(request.args.get("id", ""))
        if household is None:
            abort(404)
        return self.render(self.details_template, **self.page_context(household),
                           return_url=get_redirect_target() or self.get_url(".index_view"))

    def page_context(self, household) -> dict:
        role = current_user.role
        townships = user_townships()
        ids = [ref_id(m._data.get("person")) for m in household.members or []]
        people = member_archives(ids)
        due = due_members(household, townships)
        workers = {u.pk: u.display_name for u in User.objects(pk__in=[p.get("worker") for p in people.values()
                                                                       if p.get("worker")]).only("display_name")}
        places = {t.pk: t.name for t in Township.objects(pk__in=list({p.get("township") for p in people.values()}))}
        events = household_events(household)
        services: dict = {}
        for event in events:
            if event.get("document") not in (None, Visit) and event.get("member"):
                for name in event["member"].split("、"):
                    services[name] = services.get(name, 0) + 1
        for event in events:
            if event.get("field") and event.get("document"):
                event["text"] = visible_value(event["document"]._fields.get(event["field"]), event["text"], role)
            if event.get("record_id") is not None and event.get("document"):
                event["url"] = details_url(event["document"], event["record_id"])
        rows = []
        for member in household.members or []:
            pid = ref_id(member._data.get("person"))
            person = people.get(pid) or {}
            kind = (person.get("_cls") or "").split(".")[-1]
            visible = townships is None or person.get("township") in townships
            level = RISK_LABELS.get(person.get("risk_level"), "") if kind == "ChildArchive" else \
                (person.get("capability_level") or "")
            rows.append({
                "id": pid, "name": person.get("name", "（档案不存在）"), "kind": KIND_LABELS.get(kind, ""),
                "relation": RELATION_LABELS.get(member.relation, ""), "current": member.left_on is None,
                "left_on": member.left_on, "left_reason": member.left_reason,
                "status": "已作废" if person.get("voided") else STATUS_LABELS.get(person.get("status"), ""),
                "status_reason": person.get("status_reason") or "",
                "township": places.get(person.get("township"), ""), "worker": workers.get(person.get("worker"), "未分派"),
                "level": level, "last_visited_at": person.get("last_visited_at"),
                "due": [item["name"] for item, _ in due.get(pid, [])],
                "services": services.get(person.get("name", ""), 0), "visible": visible,
                "id_display": visible_value(Archive._fields["id_number"], person.get("id_number"), role) or "",
            })
        due_ids = [r["id"] for r in rows if r["current"] and r["due"] and r["visible"]]
        by_township: dict = {}
        for pid in due_ids:
            by_township.setdefault(people[pid].get("township"), []).append(str(pid))
        visit_links = [(places.get(t, ""), url_for("visit.create_view", person=",".join(group),
                                                   url=url_for(".details_view", id=household.pk)))
                       for t, group in by_township.items()]
        return {"model": household, "household": household, "members": rows, "timeline": events,
                "visit_links": visit_links if current_user.can("records", "create") else [],
                "member_form": MemberForm(), "leave_form": LeaveForm(),
                "head_id_display": visible_value(type(household)._fields["head_id_number"],
                                                 household.head_id_number, role) or "",
                "can_edit": self.can_edit and not household.voided}

    def _change_members(self, form_class, change):
        """A member handler: the household asked for, its form checked, then
        ``change(household, form)`` (which returns what the user is told), and the household's page."""
        if not self.can_edit:
            abort(403)
        household = self.get_one(request.args.get("id", ""))
        if household is None:
            abort(404)
        form = form_class(request.form)
        if not form.validate():
            flash(form.csrf_token.errors[0] if csrf_failed(form) else "请检查填写的内容。", "error")
        else:
            try:
                done = change(household, form)
            except DomainError as exc:
                flash(exc.message, "error")
            else:
                flash(done, "success")
        return redirect(url_for(".details_view", id=household.pk))

    @expose("/member/", methods=("POST",))
    def member_view(self):
        """Add a member (by ID number, or a name that is unique in the user's townships)."""

        def add(household, form):
            person = self._find_person(form.person.data or "")
            add_member(household, person, form.relation.data, current_user._get_current_object())
            return f"已将“{person.name}”加入本户。"

        return self._change_members(MemberForm, add)

    def _find_person(self, text: str):
        text = idnumber.normalise(text.strip()) if text.strip() else ""
        if not text:
            raise DomainError("请填写成员的身份证号或姓名。", field="person")
        query = scope_query(Archive.objects(voided=False), Archive)
        found = list(query.filter(id_number=text).limit(2)) or list(query.filter(name=text).limit(2))
        if not found:
            raise DomainError(f"在您负责的街道/乡镇中找不到“{text}”的档案。", field="person")
        if len(found) > 1:
            raise DomainError(f"有多份名为“{text}”的档案，请改填身份证号。", field="person")
        return found[0]

    @expose("/leave/", methods=("POST",))
    def leave_view(self):
        """Record that a member left the household (the line and its history stay)."""

        def leave(household, form):
            person = form.person.data or ""
            if not ObjectId.is_valid(person):
                raise DomainError("请选择成员。", field="person")
            record_leaving(household, ObjectId(person), form.reason.data or "", current_user._get_current_object())
            return "已登记该成员离开本户，原记录保留在本户历史中。"

        return self._change_members(LeaveForm, leave)


# ---------------------------------------------------------------- the visit form's offer


class CheckboxList:
    """A multiple choice as one Bootstrap check box per line (whatever class the form layout passes)."""

    def __call__(self, field, **kwargs):
        chosen = set(field.data or [])
        lines = []
        for index, (value, label, *_) in enumerate(field.iter_choices()):
            box = f"{field.id}-{index}"
            checked = " checked" if value in chosen else ""
            lines.append(f'<div class="form-check mb-1"><input class="form-check-input" type="checkbox" '
                         f'id="{box}" name="{escape(field.name)}" value="{escape(value)}"{checked}>'
                         f'<label class="form-check-label" for="{box}">{escape(label)}</label></div>')
        return Markup(f'<div id="{field.id}" class="household-members py-1">{"".join(lines)}</div>')


class OfferRule(rules.Field):
    """A form field shown only when it offers something (the visit form's 同户待访成员)."""

    def __call__(self, form, form_opts=None, field_args=None):
        field = getattr(form, self.field_name, None)
        if field is None or not field.choices:
            return ""
        return super().__call__(form, form_opts, field_args)


def household_offer(people: list) -> list[tuple[str, str]]:
    """(archive id, label) of the other current members of the chosen people's households
    who are due a visit in a current period (the schedule's ``due_filter``), in the first
    person's township (one visit is of one township) and the user's: the "同户待访成员"
    the visit form offers. Two queries per household plus one per visit policy."""
    if not people:
        return []
    chosen = {ref_id(p) for p in people}
    township = ref_id(getattr(people[0], "_data", {}).get("township"))
    townships = user_townships()
    if townships is not None and township not in townships:
        return []
    offered = []
    for household in households_of(list(chosen)):
        relations = {ref_id(m._data.get("person")): m.relation
                     for m in household.current_members()}
        due = due_members(household, [township])
        names = member_archives([pid for pid in due if pid not in chosen])
        for pid, items in due.items():
            if pid in chosen or pid not in names:
                continue
            what = "；".join(item["name"] for item, _ in items)
            offered.append((str(pid), f"{names[pid].get('name', '')}（{RELATION_LABELS.get(relations.get(pid), '')}，"
                                      f"{household}，待访：{what}）"))
    return offered
