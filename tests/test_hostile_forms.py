
"""Hostile input into every create and edit form of the view registry: for
each model view that can create or edit, as each role allowed to, a form is
opened like a browser would, some of its fields are replaced by values no
browser would send (ids that are not ids, blanks, ``true``, ``1e309``, a choice
sent twice, very long or strange text, huge numbers, impossible dates), and the
answer is checked: never a server error, and when the answer is not a
successful save, nothing in the database has changed."""

import datetime as dt
import re

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from models.accompaniment import Accompaniment
from models.api_tokens import create_token
from models.archives import ChildArchive
from models.briefs import draft_brief, draft_summary
from models.budget import BudgetLine, BudgetTransfer
from models.charity import Donation, Pairing, Partner
from models.concerns import Concern
from models.contracts import current_contract
from models.custom_fields import CustomField
from models.households import Household
from models.other_work import AdoptionAssessment, BureauTask, MarriageWork, MediaArticle
from models.reference import PersonCategory
from models.services import create_record
from models.users import allowed
from views.base import SecureModelView

from .archive_helpers import make_elder
from .conftest import login
from .form_pages import CSRF_VALUE, ERROR_SHOWN, counts, form_fields, posted, stored
from .helpers import make_attachment

ROLES = ("admin", "coordinator", "manager", "staff")
#: WTForms' and Flask-Admin's own messages, which must not reach a user untranslated.
ENGLISH = re.compile(r"Not a valid|This field|Invalid (Choice|input)|[Ff]ield must|Failed to")
EXAMPLES_PER_FORM = 6

NOT_IDS = ["zzz", "g" * 24, "6" * 23, "ffffffffffffffffffffffff", "__None", "[object Object]"]
JUNK = ["", " ", "true", "false", "1e309", "-1e309", "nan", "null", "None", "0", "-1", "[]", "{}",
        "$where", "{\"$gt\": \"\"}", "<script>alert(1)</script>", "' OR '1'='1", "\u202e\u200b\ufeff𠜎😀",
        "e\u0301" * 40, "\x07\x1b[31m", "长" * 5000, "x" * 20000]
NUMBERS = ["-1", "-99999999999999999999999", "99999999999999999999999", "1e309", "0.000000001", "1,5",
           "１２３", "0x1F", "1_000", "+-3", "inf"]
DATES = ["2026-02-30", "2026-13-01", "0000-01-01", "0001-01-01", "9999-12-31", "1900-01-01", "26-3-5",
         "2026-03-05 25:61", "2026/03/05", "1e309", "今天"]


def hostile_values(field: dict) -> list:
    """Values for one field that no form on the page would send."""
    kind, options = field["kind"], [o for o in field["options"] if o not in ("", "__None")]
    values = list(JUNK)
    if kind in ("select", "multi-select", "ajax", "ajax-multi", "hidden"):
        values += NOT_IDS
        if options:
            values += [[options[0], options[0]], [options[-1], "zzz"], ["", options[0]]]
        current = [v for v in field["values"] if v]
        if current:
            values += [[current[0], current[0]], ",".join([current[0], current[0]]),
                       ",".join([current[0], "zzz"]), current[0][::-1]]
    if kind in ("number", "text", "hidden"):
        values += NUMBERS
    if kind in ("date", "text"):
        values += DATES
    return values


def one_of_each_record(townships, accounts):
    """A record for each kind the demo data does not make, so that every edit form can be opened."""
    home = townships["东江街道"]
    coordinator = accounts["coordinator"]
    child = ChildArchive.objects(township=home, voided__ne=True).first()
    destitute = PersonCategory.objects(code="destitute").get()
    elder = make_elder(home, name="孙爷爷", sequence=71, categories=[destitute], support_mode="dispersed")
    partner = create_record(Partner(name="漓江爱心企业", kind="enterprise"), coordinator)
    day = dt.datetime(2026, 5, 1)
    records = [
        Concern(child=child, township=home, source="visit", discovered_at=day, discovered_by="张社工",
                description="身上有多处淤青"),
        Donation(direction="given", donated_on=day, kind="in_kind", items="书包 1 个", recipient=child, partner=partner),
        Pairing(caring_parent="刘爱心", parent_phone="13700000000", child=child, started_on=day),
        Accompaniment(person=elder, hospital="七星区人民医院", start_date=day,
                      end_date=day + dt.timedelta(days=2), companions="张社工"),
        AdoptionAssessment(case_number="SY2026-01", child_alias="儿童A", applicants="张某夫妇", assigned_on=day),
        MarriageWork(work_date=day, kind="archive", content="整理婚姻档案"),
        MediaArticle(title="关爱留守儿童", outlet="桂林日报", level="city", published_on=day,
                     link="https://example.org/a"),
        BureauTask(title="报送季度报表", assigned_by="社会事务科", assigned_on=day, due_on=day + dt.timedelta(days=9)),
        CustomField(label="爱好", kind="text"),
        Household(head_name="孙爷爷", township=home, address="东江路2号", members=[{"person": elder.pk, "relation": "head"}]),
    ]
    lines = list(BudgetLine.objects(voided__ne=True).limit(2))
    records.append(BudgetTransfer(from_line=lines[0], to_line=lines[1], amount_fen=100, transferred_on=day,
                                  reason="统筹"))
    for record in records:
        create_record(record, coordinator)
    make_attachment(home, actor=coordinator)
    draft_brief(current_contract(), "2026-05", coordinator)
    draft_summary(current_contract(), coordinator)
    create_token("区民政局数据平台", "manager", [home], accounts["admin"])


def form_targets(app, accounts):
    """(view, mode, [roles], record per role) for every form of the registry."""
    from flask_login import login_user

    targets = []
    for view in app.extensions["admin"][0]._views:
        if not isinstance(view, SecureModelView):
            continue
        for mode, action, able in (("create", "create", view.creatable), ("edit", "edit", view.editable)):
            roles = [r for r in ROLES if able and allowed(r, view.area, action)]
            if not roles:
                continue
            records = {}
            for role in roles:
                with app.test_request_context():
                    login_user(accounts[role])
                    record = view.get_query().order_by("-id").first() if mode == "edit" else None
                if mode == "create" or record is not None:
                    records[role] = record.pk if record is not None else None
            assert records, f"no {view.endpoint} record to edit"
            targets.append((view, mode, records))
    return targets


def hostile_posts(app, clients, view, mode, records, answers):
    """A property over one form: hostile posts are answered without a server
    error, and an answer that is not a save leaves the database as it was."""

    @settings(max_examples=EXAMPLES_PER_FORM, deadline=None, derandomize=True, database=None,
              phases=(Phase.explicit, Phase.generate),  # a failure is reported as found (its posted values)
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def probe(data):
        role = data.draw(st.sampled_from(sorted(records)), label="role")
        client = clients[role]
        pk = records[role]
        url = f"/{view.endpoint}/new/" if mode == "create" else f"/{view.endpoint}/edit/?id={pk}"
        page = client.get(url, follow_redirects=True)  # all archives: the form of the archive's own kind
        assert page.status_code == 200, (url, page.status_code)
        url = page.request.full_path
        text = page.get_data(as_text=True)
        token = CSRF_VALUE.search(text).group(1)
        fields = form_fields(text)
        names = sorted(n for n in fields if n != "record_version") or sorted(fields)
        chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True),
                           label="fields")
        changes = {name: data.draw(st.sampled_from(hostile_values(fields[name])), label=name) for name in chosen}
        with app.app_context():
            before, record_before = counts(), stored(view.model, pk) if pk else None
        response = client.post(url, data={"csrf_token": token, **posted(fields, changes)})
        answer = response.get_data(as_text=True)
        assert response.status_code < 500, (url, role, changes, answer[-2000:])
        # saved (a redirect), or the form again with what was wrong said on it
        assert response.status_code in (200, 302), (url, role, changes, response.status_code)
        answers[response.status_code] = answers.get(response.status_code, 0) + 1
        if response.status_code == 200:
            assert "admin-form" in answer and ERROR_SHOWN.search(answer), (url, role, changes)
            assert not ENGLISH.search(answer), (url, role, changes, ENGLISH.search(answer).group(0))
            with app.app_context():
                assert counts() == before, (url, role, changes)
                assert (stored(view.model, pk) if pk else None) == record_before, (url, role, changes)

    return probe


def test_no_form_answers_hostile_input_with_a_server_error_or_a_half_save(app, accounts, townships):
    from seeds.demo import generate_demo_data

    with app.app_context():
        generate_demo_data(30, seed=14)
        one_of_each_record(townships, accounts)
    clients = {}
    for role in ROLES:
        clients[role] = app.test_client()
        assert login(clients[role], accounts[role].username).status_code == 302
    failures, answers = [], {}
    with app.app_context():
        targets = form_targets(app, accounts)
    assert len(targets) > 60

    for view, mode, records in targets:
        try:
            hostile_posts(app, clients, view, mode, records, answers)()
        except Exception as exc:  # every form is tried; all failures are reported together
            notes = "\n".join(getattr(exc, "__notes__", []))
            failures.append(f"{view.endpoint} {mode}: {type(exc).__name__}: {str(exc)[:1500]}\n{notes[:1500]}")
    assert failures == [], "\n\n".join(failures)
    # the posts reached the forms: some were saved, most were answered with the form and its errors
    assert answers.get(302, 0) > 20 and answers.get(200, 0) > 200, answers
