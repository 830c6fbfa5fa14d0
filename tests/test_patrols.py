import datetime as dt

import pytest

from models.clock import local_now, local_today
from models.concerns import Concern, high_risk_without_open_concern, overdue_concerns
from models.errors import DomainError
from models.patrols import Encounter, Patrol, weekly_grid
from models.services import create_record, snapshot, update_record

from .archive_helpers import make_child
from .conftest import submit


def patrol(townships, accounts, day=dt.date(2026, 3, 2), encounters=(), **extra):
    data = {"patrol_date": dt.datetime.combine(day, dt.time()), "start_time": "19:00", "end_time": "21:00",
            "township": townships["东江街道"], "places": "七星路口", "staff": [accounts["staff"]],
            "encounters": list(encounters)}
    data.update(extra)
    return Patrol(**data)


def test_minor_needs_police_or_a_reason(app, townships, accounts):
    minor = Encounter(description="男孩，约12岁", minor=True, actions=["onsite_aid"], items_given="面包")
    with pytest.raises(DomainError, match="未成年人：须记录“报警110"):
        create_record(patrol(townships, accounts, encounters=[minor]), accounts["staff"])
    minor.actions.append("police_110")
    assert create_record(patrol(townships, accounts, encounters=[minor]), accounts["staff"]).pk
    reasoned = Encounter(description="女孩", minor=True, actions=["contact_family"], no_call_reason="家长已到场领回")
    assert create_record(patrol(townships, accounts, encounters=[reasoned]), accounts["staff"]).pk


def test_medical_emergency_needs_120_or_a_reason(app, townships, accounts):
    ill = Encounter(description="老人倒地", health_state="critical", actions=["contact_family"])
    with pytest.raises(DomainError, match="呼叫120"):
        create_record(patrol(townships, accounts, encounters=[ill]), accounts["staff"])
    ill.actions = ["medical_120"]
    assert create_record(patrol(townships, accounts, encounters=[ill]), accounts["staff"]).pk


def test_other_patrol_rules(app, townships, accounts):
    with pytest.raises(DomainError, match="请填写发放的物品"):
        create_record(patrol(townships, accounts, encounters=[Encounter(description="x", actions=["onsite_aid"])]),
                      accounts["staff"])
    with pytest.raises(DomainError, match="结束时间应晚于开始时间"):
        create_record(patrol(townships, accounts, end_time="18:00"), accounts["staff"])
    with pytest.raises(DomainError, match="不能晚于今天"):
        create_record(patrol(townships, accounts, day=local_today() + dt.timedelta(days=3)), accounts["staff"])
    with pytest.raises(DomainError, match="请选择已建档人员，或填写体貌特征"):
        create_record(patrol(townships, accounts, encounters=[Encounter(actions=["refused"])]), accounts["staff"])


def test_weekly_grid_counts_against_the_minimum(app, townships, accounts):
    for day in (dt.date(2026, 3, 2), dt.date(2026, 3, 8), dt.date(2026, 3, 10)):
        create_record(patrol(townships, accounts, day=day), accounts["staff"])
    grid = {w["key"]: w for w in weekly_grid(dt.date(2026, 3, 2), dt.date(2026, 3, 22))}
    assert grid["2026-W10"]["count"] == 2 and grid["2026-W10"]["status"] == "met"
    assert grid["2026-W11"]["count"] == 1 and grid["2026-W11"]["status"] == "short"
    assert grid["2026-W12"]["count"] == 0


def test_patrol_form_and_weeks_page(app, login_as, townships):
    client = login_as("staff")
    response = submit(client, "/patrol/new/", {
        "patrol_date": "2026-03-03", "start_time": "19:00", "end_time": "21:00",
        "township": str(townships["东江街道"].pk), "places": "火车站广场", "staff": "",
        "encounters-0-description": "流浪少年", "encounters-0-minor": "y", "encounters-0-actions": "onsite_aid",
        "encounters-0-items_given": "棉衣"})
    page = response.get_data(as_text=True)
    assert ("请选择参加巡查的社工" in page or "须记录“报警110" in page) and "火车站广场" in page
    assert Patrol.objects.count() == 0
    page = client.get("/patrol/weeks/?year=2026").get_data(as_text=True)
    assert "第10周" in page and "week-short" in page  # the week as people name it, not its key


def test_concern_deadlines_and_alerts(app, townships, accounts):
    child = make_child(townships["东江街道"], sequence=1, risk_level="1")
    other = make_child(townships["东江街道"], sequence=3, risk_level="1")
    long_ago = local_now() - dt.timedelta(days=3)
    concern = create_record(Concern(child=child, township=child.township, source="visit", discovered_at=long_ago,
                                    discovered_by="张社工", description="身上有多处淤青"), accounts["staff"])
    assert concern.stage == "discovered" and concern.report_due == long_ago + dt.timedelta(hours=24)
    assert [(c.pk, step) for c, step in overdue_concerns()] == [(concern.pk, "报告")]
    assert {c.pk for c in high_risk_without_open_concern()} == {other.pk}

    before = snapshot(concern)
    concern.reported_at = long_ago + dt.timedelta(hours=2)
    with pytest.raises(DomainError, match="请选择报告对象"):
        update_record(concern, before, concern.version, accounts["staff"])
    concern.reported_to = ["police", "bureau"]
    update_record(concern, before, concern.version, accounts["staff"])
    assert concern.stage == "reported"
    assert [step for _, step in overdue_concerns()] == []  # handling due 72h after the report: not yet
    before = snapshot(concern)
    concern.closed_at = local_now()
    with pytest.raises(DomainError, match="请填写结案情况"):
        update_record(concern, before, concern.version, accounts["staff"])
    concern.outcome = "已由公安介入，儿童由外婆监护"
    update_record(concern, before, concern.version, accounts["staff"])
    assert Concern.objects(pk=concern.pk).first().stage == "closed"
    assert {c.pk for c in high_risk_without_open_concern()} == {child.pk, other.pk}


def test_concern_opened_from_a_child_page(app, login_as, townships):
    child = make_child(townships["东江街道"], sequence=5, risk_level="1")
    client = login_as("staff")
    page = client.get(f"/concern/new/?child={child.pk}&source=visit").get_data(as_text=True)
    assert child.name in page
    page = client.get("/concern/alerts/").get_data(as_text=True)
    assert child.name in page and "启动保护机制" in page


def test_patrol_photos_are_kept_and_protected(app, login_as, townships, accounts):
    import io

    from .conftest import csrf_token
    from .helpers import png_bytes

    client = login_as("staff")
    token = csrf_token(client, "/patrol/new/")
    response = client.post("/patrol/new/", data={
        "csrf_token": token, "patrol_date": "2026-03-03", "start_time": "19:00", "end_time": "21:00",
        "township": str(townships["东江街道"].pk), "places": "七星路口", "staff": str(accounts["staff"].pk),
        "encounters-0-description": "男，约40岁，穿灰色外套", "encounters-0-actions": "counselling",
        "photo_upload": (io.BytesIO(png_bytes()), "street.png")}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    saved = Patrol.objects(places="七星路口").first()
    assert len(saved.photos) == 1 and saved.encounters[0].description.startswith("男")
    assert client.get(f"/patrol/api/file/?id={saved.photos[0].thumbnail.grid_id}").status_code == 200
    assert login_as("staff2").get(f"/patrol/api/file/?id={saved.photos[0].file.grid_id}").status_code == 404
