"""Hospital accompaniment under the plan's three limits, each refused with a
clear message and nothing saved."""

import datetime as dt

import pytest

from models.accompaniment import Accompaniment
from models.errors import DomainError
from models.reference import PersonCategory
from models.services import create_record

from .archive_helpers import make_elder
from .conftest import submit


def destitute(townships, name, sequence):
    category = PersonCategory.objects(code="destitute").get()
    return make_elder(townships["东江街道"], name=name, sequence=sequence, categories=[category],
                      support_mode="dispersed")


def accompany(person, start, end, hospital="七星区人民医院"):
    return create_record(Accompaniment(person=person, hospital=hospital, start_date=dt.datetime(2026, *start),
                                       end_date=dt.datetime(2026, *end), companions="张社工"), None)


def test_once_per_person_per_year(app, townships):
    person = destitute(townships, "孙爷爷", 71)
    accompany(person, (3, 1), (3, 5))
    with pytest.raises(DomainError, match="今年已陪护过 1 次（2026-03-01 在七星区人民医院）：每名特困人员每年 1 次"):
        accompany(person, (9, 1), (9, 2))
    assert Accompaniment.objects.count() == 1
    assert create_record(Accompaniment(person=person, hospital="医院", start_date=dt.datetime(2027, 1, 5),
                                       end_date=dt.datetime(2027, 1, 6), companions="李"), None).pk


def test_at_most_seven_days(app, townships):
    person = destitute(townships, "周奶奶", 72)
    with pytest.raises(DomainError, match="一次陪护不超过 7 天：本次 2026-04-01 至 2026-04-08 共 8 天"):
        accompany(person, (4, 1), (4, 8))
    assert accompany(person, (4, 1), (4, 7)).days == 7


def test_at_most_two_people_at_once(app, townships):
    first, second, third = (destitute(townships, name, 80 + i) for i, name in enumerate(("甲老人", "乙老人", "丙老人")))
    accompany(first, (5, 1), (5, 5))
    accompany(second, (5, 4), (5, 8))
    with pytest.raises(DomainError, match="2026-05-04 已在陪护 2 人（甲老人、乙老人）：同时陪护不超过 2 人"):
        accompany(third, (5, 3), (5, 6))
    assert accompany(third, (5, 6), (5, 9)).pk  # the first has ended by then


def test_only_for_destitute_people_and_form_keeps_input(app, client, login_as, townships):
    other = make_elder(townships["东江街道"], name="吴奶奶", sequence=90)
    with pytest.raises(DomainError, match="不是特困人员"):
        accompany(other, (6, 1), (6, 2))
    person = destitute(townships, "郑爷爷", 91)
    accompany(person, (6, 1), (6, 3))
    login_as("staff")
    page = submit(client, "/accompaniment/new/", {"person": str(person.pk), "hospital": "桂林市第二人民医院",
                                                  "start_date": "2026-07-01", "end_date": "2026-07-03",
                                                  "companions": "陈社工"}).get_data(as_text=True)
    assert "今年已陪护过 1 次" in page and "桂林市第二人民医院" in page
    assert Accompaniment.objects.count() == 1
    details = client.get(f"/elderlyarchive/details/?id={person.pk}").get_data(as_text=True)
    assert "住院陪护" in details


@pytest.mark.parametrize("code", ["destitute", "destitute_elderly"])
@pytest.mark.parametrize("mode", ["dispersed", "centralised", None])
def test_only_dispersed_destitute_people(app, townships, code, mode):
    """住院陪护 is for 分散供养特困人员: an elderly person of category 特困人员 or 特困老人 is
    accepted only when 供养方式 is 分散供养; 集中供养 (or none recorded) is refused, saying why."""
    from models.archives import SUPPORT_MODES

    category = PersonCategory.objects(code=code).get()
    person = make_elder(townships["东江街道"], name="钱爷爷", sequence=60, categories=[category], support_mode=mode)
    if mode == "dispersed":
        assert accompany(person, (6, 1), (6, 2)).pk
        assert Accompaniment.objects.count() == 1
        return
    expected = f"特困供养方式是{dict(SUPPORT_MODES)[mode]}" if mode else "未填写特困供养方式"
    with pytest.raises(DomainError, match=expected + ".*只服务分散供养特困人员"):
        accompany(person, (6, 1), (6, 2))
    assert Accompaniment.objects.count() == 0


def test_centralised_refused_on_the_form_with_the_reason(app, client, login_as, townships):
    category = PersonCategory.objects(code="destitute_elderly").get()
    person = make_elder(townships["东江街道"], name="冯奶奶", sequence=61, categories=[category],
                        support_mode="centralised")
    login_as("staff")
    page = submit(client, "/accompaniment/new/", {"person": str(person.pk), "hospital": "桂林市第二人民医院",
                                                  "start_date": "2026-07-01", "end_date": "2026-07-03",
                                                  "companions": "陈社工"}).get_data(as_text=True)
    assert "特困供养方式是集中供养" in page and "桂林市第二人民医院" in page
    assert Accompaniment.objects.count() == 0


def test_accompaniments_of_people_no_longer_eligible_are_reported_by_the_indicator(app, townships):
    """Records saved before the 供养方式 check (or whose person moved to 集中供养) show as violations."""
    from models.archives import Archive
    from models.contracts import current_contract
    from models.indicators import Indicator, Scope, measure

    person = destitute(townships, "陈爷爷", 62)
    accompany(person, (3, 1), (3, 2))
    contract = current_contract(dt.date(2026, 3, 1))
    rule = Indicator.objects(contract=contract.pk, code="accompaniment.rules").get()
    assert measure(rule, Scope(contract, dt.date(2026, 7, 1))).achieved == 100.0
    Archive._get_collection().update_one({"_id": person.pk}, {"$set": {"support_mode": "centralised"}})
    m = measure(rule, Scope(contract, dt.date(2026, 7, 1)))
    assert m.achieved == 0.0 and any("特困供养方式是集中供养" in reason for _, reason in m.near_misses)
