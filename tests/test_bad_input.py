"""Bad input found by an outside probe: each answered with a Chinese message,
never a server error, the user's input kept and nothing saved; and a database
outage answered quickly with an honest Chinese page."""


import pytest

from models.activities import CommunityEvent
from models.archives import HomelessArchive
from models.budget import Expense
from models.escorts import ReturneeEscort
from models.patrols import Patrol
from models.reception import ReceptionContact
from models.users import User

from .conftest import csrf_token
from .form_pages import CSRF_VALUE, counts, form_fields, posted, stored

NOT_A_CHOICE = "请从列表中选择"
BAD_VALUES = ["zzz", "", "true", "1e309", "ffffffffffffffffffffffff"]


@pytest.fixture
def demo(app, accounts):
    from seeds.demo import generate_demo_data

    with app.app_context():
        generate_demo_data(30, seed=14)
    return accounts


def _edit(client, url, changes):
    """Open an edit form, change some fields, post it; the answer and the fields sent."""
    page = client.get(url).get_data(as_text=True)
    fields = form_fields(page)
    data = {"csrf_token": CSRF_VALUE.search(page).group(1), **posted(fields, changes)}
    return client.post(url, data=data), data


# (view, model, role, reference field, a text field to see kept) -- the forms the probe named
REFERENCE_FORMS = [
    ("patrol", Patrol, "coordinator", "township", "places"),
    ("expense", Expense, "coordinator", "line", "purpose"),
    ("escort", ReturneeEscort, "coordinator", "person", "handover_place"),
    ("event", CommunityEvent, "coordinator", "township", "place"),
    ("reception", ReceptionContact, "coordinator", "person", "matter"),
    ("homelessarchive", HomelessArchive, "coordinator", "township", "description"),
    ("user", User, "admin", "townships", "display_name"),
]


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize(("endpoint", "model", "role", "field", "text"), REFERENCE_FORMS,
                         ids=[f[0] for f in REFERENCE_FORMS])
def test_a_bad_reference_is_a_field_error_with_the_input_kept(demo, login_as, endpoint, model, role, field, text,
                                                              value):
    client = login_as(role)
    with client.application.app_context():
        record = model.objects(voided__ne=True).order_by("-id").first()
        before, stored_before = counts(), stored(model, record.pk)
    url = f"/{endpoint}/edit/?id={record.pk}"
    fields = form_fields(client.get(url).get_data(as_text=True))
    assert field in fields, sorted(fields)
    if value == "" and fields[field]["kind"] in ("multi-select", "ajax-multi"):
        value = ["", "zzz"]
    response, _ = _edit(client, url, {field: value, text: "核对用的文字"})
    page = response.get_data(as_text=True)
    if value == "" and response.status_code == 302:
        return  # an optional reference left blank is a choice, not bad input
    assert response.status_code == 200, (value, response.status_code)
    assert NOT_A_CHOICE in page or "此项为必填" in page, value
    assert "核对用的文字" in page  # the user's input stays in the form
    with client.application.app_context():
        assert counts() == before and stored(model, record.pk) == stored_before


def test_a_record_chosen_twice_in_a_multiple_choice_is_taken_once(demo, login_as, townships):
    client = login_as("admin")
    user = demo["staff2"]
    home = str(townships["东江街道"].pk)
    response, _ = _edit(client, f"/user/edit/?id={user.pk}", {"townships": [home, home]})
    assert response.status_code == 302
    assert [t.pk for t in User.objects.get(pk=user.pk).townships] == [townships["东江街道"].pk]
    client = login_as("coordinator")
    patrol = Patrol.objects(voided__ne=True).first()
    worker = str(demo["staff"].pk)
    response, _ = _edit(client, f"/patrol/edit/?id={patrol.pk}", {"staff": f"{worker},{worker}"})
    assert response.status_code == 302
    assert [u.pk for u in Patrol.objects.get(pk=patrol.pk).staff] == [demo["staff"].pk]


def test_a_multiple_choice_with_one_bad_value_saves_nothing(demo, login_as, townships):
    client = login_as("admin")
    user = demo["staff2"]
    before = stored(User, user.pk)
    response, _ = _edit(client, f"/user/edit/?id={user.pk}", {"townships": [str(townships["东江街道"].pk), "zzz"]})
    assert response.status_code == 200 and NOT_A_CHOICE in response.get_data(as_text=True)
    assert stored(User, user.pk) == before


def test_a_bad_person_in_an_embedded_entry_is_a_field_error(demo, login_as):
    """A patrol's encounter names its person through a search inside the embedded form."""
    client = login_as("coordinator")
    with client.application.app_context():
        patrol = Patrol.objects(voided__ne=True).first()
        before = stored(Patrol, patrol.pk)
    response, _ = _edit(client, f"/patrol/edit/?id={patrol.pk}",
                        {"encounters-0-person": "zzz", "encounters-0-description": "桥下老人"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and NOT_A_CHOICE in page and "桥下老人" in page
    with client.application.app_context():
        assert stored(Patrol, patrol.pk) == before


def test_a_bad_reference_in_a_new_record_saves_nothing(app, login_as, townships):
    client = login_as("coordinator")
    data = {"patrol_date": "2026-03-05", "start_time": "19:00", "end_time": "21:00", "township": "true",
            "places": "火车站广场", "staff": str(User.objects(username="shegong").get().pk)}
    response = client.post("/patrol/new/", data={"csrf_token": csrf_token(client, "/patrol/new/"), **data})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and NOT_A_CHOICE in page and "火车站广场" in page
    assert Patrol.objects.count() == 0
