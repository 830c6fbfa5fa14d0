import datetime as dt

import pytest

from models.assessments import score_capability, score_risk
from models.errors import DomainError
from models.rules import get_rules


def full_scores(value_for=None):
    standard = get_rules("capability_standard")
    scores = {}
    for dimension in standard["dimensions"]:
        for item in dimension["items"]:
            scores[item["code"]] = item["max"] if value_for is None else value_for(item)
    return scores


@pytest.mark.parametrize("factors, expected", [
    ([], (0, "3")),
    (["age_under_6", "poverty"], (2, "3")),              # just under the level-two line (3)
    (["age_under_6", "single_parent", "poverty"], (3, "2")),  # exactly on it
    (["neglect", "home_hazard"], (5, "2")),              # just under level one (6)
    (["neglect", "guardian_improper"], (6, "1")),        # exactly on it
    (["domestic_violence"], (6, "1")),
    (["sexual_abuse"], (6, "1")),
])
def test_risk_score_boundaries(app, factors, expected):
    assert score_risk(factors) == expected


def test_a_forcing_factor_makes_level_one_whatever_the_score(app):
    rules = get_rules("archive_rules")["risk"]
    rules = dict(rules, level_one_score=100)
    assert score_risk(["guardian_absent"], rules)[1] == "1"
    assert score_risk(["neglect", "guardian_improper"], rules)[1] == "2"


def test_unknown_factor_is_refused(app):
    with pytest.raises(DomainError, match="未知的风险因素"):
        score_risk(["made_up"])


@pytest.mark.parametrize("total, level", [(90, "能力完好"), (89, "轻度失能"), (66, "轻度失能"), (65, "中度失能"),
                                          (46, "中度失能"), (45, "重度失能"), (30, "重度失能"), (29, "完全失能"),
                                          (0, "完全失能")])
def test_capability_level_boundaries(app, total, level):
    scores = full_scores(lambda item: 0)
    remaining = total
    for code in scores:
        standard_max = next(i["max"] for d in get_rules("capability_standard")["dimensions"] for i in d["items"]
                            if i["code"] == code)
        scores[code] = min(standard_max, remaining)
        remaining -= scores[code]
    result = score_capability(scores)
    assert result["total"] == total
    assert result["level"] == level == result["base_level"]
    assert sum(d["max_score"] for d in result["dimensions"]) == 90


def test_dimension_totals(app):
    result = score_capability(full_scores())
    assert [(d["name"], d["score"]) for d in result["dimensions"]] == [
        ("自理能力", 32), ("基础运动能力", 15), ("精神状态", 28), ("感知觉与社会参与", 15)]


def test_adjustments(app):
    scores = full_scores()
    assert score_capability(scores, diagnosis="dementia")["level"] == "轻度失能"
    assert score_capability(scores, care_risk_events=1)["level"] == "能力完好"
    assert score_capability(scores, care_risk_events=2)["level"] == "轻度失能"
    both = score_capability(scores, diagnosis="mental", care_risk_events=3)
    assert both["level"] == "中度失能" and len(both["adjustments"]) == 2
    assert score_capability(scores, coma=True)["level"] == "完全失能"
    low = full_scores(lambda item: 0)
    assert score_capability(low, diagnosis="dementia", care_risk_events=5)["level"] == "完全失能"


def test_missing_or_out_of_range_items_are_refused(app):
    scores = full_scores()
    del scores["eating"]
    with pytest.raises(DomainError, match="未打分：进食"):
        score_capability(scores)
    scores = full_scores()
    scores["stairs"] = 4
    with pytest.raises(DomainError, match="上下楼梯"):
        score_capability(scores)


def test_recording_assessments_keeps_history_and_sets_the_level(app, accounts, townships):
    from models.archives import ChildArchive, ElderlyArchive
    from models.assessments import (
        CapabilityAssessment,
        RiskAssessment,
        record_capability_assessment,
        record_risk_assessment,
    )
    from models.services import create_record

    child = create_record(ChildArchive(name="王小明", township=townships["朝阳乡"],
                                       birth_date=dt.datetime(2016, 5, 1)), accounts["staff"])
    day = dt.datetime(2026, 3, 1)
    record_risk_assessment(child, ["poverty"], None, "", "张社工", day, accounts["staff"])
    with pytest.raises(DomainError, match="请写明调整理由"):
        record_risk_assessment(child, ["poverty"], "1", "", "张社工", day, accounts["staff"])
    record_risk_assessment(child, ["poverty"], "1", "父母失联，家中无人", "张社工", day + dt.timedelta(days=5),
                           accounts["staff"])
    assert RiskAssessment.objects(person=child).count() == 2
    assert ChildArchive.objects(pk=child.pk).first().risk_level == "1"

    elder = create_record(ElderlyArchive(name="李奶奶", township=townships["朝阳乡"],
                                         birth_date=dt.datetime(1940, 1, 1)), accounts["staff"])
    with pytest.raises(DomainError, match="两名不同的评估员"):
        record_capability_assessment(elder, full_scores(), assessed_on=day, reason="first", assessor_one="甲",
                                     assessor_two="甲", actor=accounts["staff"])
    assessment = record_capability_assessment(elder, full_scores(), assessed_on=day, reason="first",
                                              assessor_one="甲", assessor_two="乙", actor=accounts["staff"])
    assert assessment.next_due == dt.datetime(2026, 9, 1)
    stored = ElderlyArchive.objects(pk=elder.pk).first()
    assert stored.capability_level == "能力完好" and stored.next_assessment_due == dt.datetime(2026, 9, 1)
    assert CapabilityAssessment.objects(person=elder).count() == 1


def test_a_second_assessment_on_the_same_day_in_the_same_second_is_the_current_one(app, accounts, townships):
    from models.archives import ChildArchive
    from models.assessments import record_risk_assessment
    from models.services import create_record

    child = create_record(ChildArchive(name="周小雨", township=townships["朝阳乡"],
                                       birth_date=dt.datetime(2017, 2, 1)), accounts["staff"])
    day = dt.datetime(2026, 3, 1)
    moment = dt.datetime(2026, 3, 1, 10, 0, 0)  # both saved within one second: created_at ties too
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("models.services.local_now", lambda: moment)
        record_risk_assessment(child, ["poverty"], None, "", "张社工", day, accounts["staff"])
        record_risk_assessment(child, ["poverty"], "1", "复核：父母失联", "张社工", day, accounts["staff"])
    assert ChildArchive.objects(pk=child.pk).first().risk_level == "1"
