from models.reference import Community, PersonCategory, Township
from seeds.loader import load_reference_data

from .conftest import submit


def test_reference_data_matches_the_official_codes(app):
    codes = {t.code: t.name for t in Township.objects}
    assert codes["450305004"] == "漓东街道"
    assert codes["450305200"] == "朝阳乡"
    assert "450305005" not in codes
    assert len(codes) == 6
    community = Community.objects(code="450305004006").first()
    assert community.name == "横塘社区" and community.township.name == "漓东街道"
    assert PersonCategory.objects(code="de_facto_orphan").first().name == "事实无人抚养儿童"


def test_loading_twice_adds_nothing_and_keeps_admin_edits(app, login_as):
    client = login_as("admin")
    township = Township.objects(code="450305001").first()
    submit(client, f"/township/edit/?id={township.pk}",
           {"code": "450305001", "name": "七星区街道", "kind": "街道", "sort_order": "1",
            "note": "管理员补充的说明", "record_version": str(township.version)})
    added = load_reference_data()
    assert added == {"townships": 0, "categories": 0, "rules": 0, "themes": 0, "contract": 0, "indicators": 0}
    assert Township.objects.count() == 6
    assert Township.objects(code="450305001").first().note == "管理员补充的说明"


def test_community_code_must_sit_under_its_township(app, login_as, townships):
    client = login_as("admin")
    response = submit(client, "/community/new/", {"township": str(townships["东江街道"].pk),
                                                  "code": "450305004099", "name": "错配社区", "kind": "社区"})
    assert "应以所属街道/乡镇代码 450305002 开头" in response.get_data(as_text=True)
    assert Community.objects(name="错配社区").count() == 0


def test_generated_visits_keep_the_archives_change_log(app, townships, accounts):
    import datetime as dt

    from bson import ObjectId

    from models.periods import period_keys
    from models.summaries import summary_of
    from seeds.demo import _mark_visited

    from .archive_helpers import make_child

    child = make_child(townships["东江街道"], sequence=81, actor=accounts["staff"])
    assert [line["action"] for line in summary_of(child.pk)["change_log"]] == ["create"]
    visited_at = dt.datetime(2026, 3, 2, 10)
    _mark_visited([{"_id": ObjectId(), "people": [child.pk], "visited_at": visited_at,
                    "mode": "home", "counts_as_home_visit": "yes", **period_keys(visited_at)}])
    summary = summary_of(child.pk)
    assert [line["action"] for line in summary["change_log"]] == ["create"]  # not wiped by the generator
    assert len(summary["recent_visits"]) == 1
