"""Community events (size class at 9, 10, 50, 51), trainings and township
coverage, and the volunteer hours ledger fed by trainings, events, patrols and
visits, with its printable certificate."""

import datetime as dt

import pytest

from models.activities import (
    Attendee,
    CommunityEvent,
    EventVolunteer,
    Training,
    size_query,
    township_coverage,
)
from models.errors import DomainError
from models.patrols import Patrol
from models.reference import ThemeTag
from models.services import create_record, snapshot, update_record, void_record
from models.visits import Visit, add_photo
from models.volunteers import Volunteer, VolunteerHourEntry, ledger

from .archive_helpers import make_child
from .conftest import submit
from .helpers import png_bytes


def event(townships, served, **extra):
    data = {"title": "六一游园会", "event_date": dt.datetime(2026, 6, 1), "hours": 3, "place": "东江社区广场",
            "township": townships["东江街道"], "target_group": "children", "people_served": served}
    data.update(extra)
    return create_record(CommunityEvent(**data), None)


@pytest.mark.parametrize(("served", "size"), [(9, "none"), (10, "small"), (50, "small"), (51, "large")])
def test_event_size_class_at_the_boundaries(app, townships, served, size):
    record = event(townships, served)
    assert record.size == size
    large = CommunityEvent.objects(__raw__=size_query("large")).count()
    small = CommunityEvent.objects(__raw__=size_query("small")).count()
    assert (large, small) == {"none": (0, 0), "small": (0, 1), "large": (1, 0)}[size]


def test_event_refuses_fewer_people_than_named_participants_and_bad_hours(app, townships):
    children = [make_child(townships["东江街道"], name=f"孩子{i}", sequence=60 + i) for i in range(3)]
    with pytest.raises(DomainError, match="服务人数（4）少于登记的参与者（5 人）"):
        event(townships, 4, participants=children, named_participants=["张家长", "李家长"])
    with pytest.raises(DomainError, match="一天最多 24 小时"):
        event(townships, 20, hours=30)
    with pytest.raises(DomainError, match="时长须大于 0"):
        event(townships, 20, hours=-2)
    assert CommunityEvent.objects.count() == 0
    record = event(townships, 5, participants=children, named_participants=["张家长", "李家长"],
                   themes=[ThemeTag.objects(code="childrens_day").get()])
    assert record.pk


def test_event_form_keeps_input_when_refused(app, client, login_as, townships):
    login_as("staff")
    form = {"title": "重阳敬老活动", "event_date": "2026-10-18", "hours": "2.5", "place": "社区活动室",
            "township": str(townships["东江街道"].pk), "target_group": "elderly", "people_served": "1",
            "named_participants": "王奶奶\n李爷爷"}
    page = submit(client, "/event/new/", form).get_data(as_text=True)
    assert "服务人数（1）少于登记的参与者（2 人）" in page and "重阳敬老活动" in page
    form["people_served"] = "35"
    assert submit(client, "/event/new/", form).status_code == 302
    assert "中小型" in client.get("/event/").get_data(as_text=True)


def volunteer(name="林志愿", phone="13900000001"):
    return create_record(Volunteer(name=name, phone=phone), None)


def test_hours_ledger_is_fed_by_trainings_events_patrols_and_visits(app, client, login_as, townships, accounts):
    first, second = volunteer(), volunteer("黄志愿", "13900000002")
    create_record(Training(title="志愿服务基础", training_date=dt.datetime(2026, 3, 1), audience="volunteers", hours=2.5,
                           trainer="李督导", attendees=[Attendee(name="林志愿", volunteer=first),
                                                        Attendee(name="黄志愿", volunteer=second)]), None)
    party = event(townships, 60, volunteer_activity=True,
                  volunteers=[EventVolunteer(volunteer=first, hours=3), EventVolunteer(volunteer=second, hours=2)])
    create_record(Patrol(patrol_date=dt.datetime(2026, 3, 3), start_time="19:00", end_time="20:30",
                         township=townships["东江街道"], places="七星路口", staff=[accounts["staff"]],
                         volunteer_members=[first]), accounts["staff"])
    child = make_child(townships["东江街道"], name="卢小西")
    visit = Visit(people=[child], visited_at=dt.datetime(2026, 3, 4, 10), mode="home", contact="made",
                  township=child.township, volunteer_members=[first])
    add_photo(visit, png_bytes(), "v.png", 5 * 1024 * 1024)
    create_record(visit, accounts["staff"])

    entries = ledger(first.pk)
    assert [(e.source, e.hours) for e in entries] == [("training", 2.5), ("patrol", 1.5), ("visit", 1.0),
                                                      ("event", 3.0)]
    first.reload()
    assert first.total_hours == 8.0 and first.training_hours == 2.5
    second.reload()
    assert second.total_hours == 4.5

    before = snapshot(party)
    party.volunteers = [EventVolunteer(volunteer=first, hours=4)]
    update_record(party, before, party.version, None)
    first.reload()
    second.reload()
    assert first.total_hours == 9.0 and second.total_hours == 2.5
    void_record(party, "重复登记", None)
    first.reload()
    assert first.total_hours == 5.0 and VolunteerHourEntry.objects(source="event").count() == 0

    page = login_as("staff").get(f"/volunteer/certificate/?id={first.pk}").get_data(as_text=True)
    assert "志愿服务时数证明" in page and 'id="certificate-total">5<' in page and "街头巡查：七星路口" in page
    listing = client.get("/volunteer/").get_data(as_text=True)
    assert "林志愿" in listing


def test_event_volunteer_hours_must_be_sensible(app, townships):
    helper = volunteer()
    with pytest.raises(DomainError, match="重复登记"):
        event(townships, 20, volunteers=[EventVolunteer(volunteer=helper, hours=2),
                                         EventVolunteer(volunteer=helper, hours=1)])
    with pytest.raises(DomainError, match="明显超过活动时长"):
        event(townships, 20, hours=2, volunteers=[EventVolunteer(volunteer=helper, hours=10)])
    with pytest.raises(DomainError, match="请登记参加的志愿者"):
        event(townships, 20, volunteer_activity=True)
    assert VolunteerHourEntry.objects.count() == 0


def test_child_worker_trainings_cover_every_township(app, client, login_as, townships):
    names = list(townships)
    create_record(Training(title="未保工作培训", training_date=dt.datetime(2026, 4, 1), audience="child_workers",
                           hours=3, trainer="区民政局", attendees=[Attendee(name=f"主任{i}", township=townships[n])
                                                                 for i, n in enumerate(names[:-1])]), None)
    coverage = township_coverage("child_workers", "2026")
    assert [t.name for t in coverage["missing"]] == [names[-1]]
    with pytest.raises(DomainError, match="须填写参训人员的街道/乡镇"):
        create_record(Training(title="x", training_date=dt.datetime(2026, 4, 2), audience="child_workers", hours=2,
                               trainer="t", attendees=[Attendee(name="无街道")]), None)
    page = login_as("manager").get("/training/coverage/?year=2026").get_data(as_text=True)
    assert f'id="covered-count">{len(names) - 1}<' in page and "尚未覆盖" in page
    create_record(Training(title="补课", training_date=dt.datetime(2026, 5, 1), audience="child_workers", hours=2,
                           trainer="t", attendees=[Attendee(name="主任X", township=townships[names[-1]])]), None)
    assert township_coverage("child_workers", "2026")["missing"] == []


def test_patrol_form_records_registered_volunteers_in_the_ledger(app, client, login_as, townships, accounts):
    helper = volunteer("周志愿", "13900000009")
    login_as("staff")
    form = {"patrol_date": "2026-03-03", "start_time": "19:00", "end_time": "21:00",
            "township": str(townships["东江街道"].pk), "places": "火车站广场", "staff": str(accounts["staff"].pk),
            "volunteer_members": str(helper.pk)}
    response = submit(client, "/patrol/new/", form)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    helper.reload()
    assert helper.total_hours == 2.0
    assert [e.activity for e in ledger(helper.pk)] == ["街头巡查：火车站广场"]


def test_volunteer_totals_are_the_same_for_a_few_volunteers_and_for_a_bulk_refresh(app, townships):
    from bson import ObjectId

    from models.volunteers import refresh_totals

    first = create_record(Volunteer(name="志愿者甲", phone="13900000001", status="active"), None)
    second = create_record(Volunteer(name="志愿者乙", phone="13900000002", status="active"), None)
    day = dt.datetime(2026, 3, 1)
    VolunteerHourEntry._get_collection().insert_many([
        {"volunteer": first.pk, "source": "training", "source_id": ObjectId(), "served_on": day, "hours": 2.5},
        {"volunteer": first.pk, "source": "event", "source_id": ObjectId(), "served_on": day, "hours": 3.0},
        {"volunteer": second.pk, "source": "event", "source_id": ObjectId(), "served_on": day, "hours": 1.5}])

    def totals():
        return [(v.total_hours, v.training_hours) for v in Volunteer.objects(pk__in=[first.pk, second.pk]).order_by("name")]

    refresh_totals([first.pk, second.pk])
    few = totals()
    Volunteer._get_collection().update_many({}, {"$set": {"total_hours": 0, "training_hours": 0}})
    refresh_totals([first.pk, second.pk] + [ObjectId() for _ in range(150)])
    assert totals() == few == [(1.5, 0), (5.5, 2.5)]  # 志愿者乙 sorts before 志愿者甲
