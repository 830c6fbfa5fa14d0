"""What a worker's phone keeps for field work without a connection: their own people who are
due or recently visited (masked: no ID numbers or anything sensitive), the groups they lead,
and the lists the field forms need. A fixed number of database questions whatever the
caseload. The synchronisation of what comes back is models.field_sync."""

import datetime as dt

from .archives import HOMELESS_HEALTH, RISK_LEVELS, Archive
from .casework import GroupSeries
from .clock import local_now, local_today
from .patrols import ACTIONS, CAMPAIGNS
from .periods import period_bounds
from .reference import Community, PersonCategory, Township
from .visits import CONTACT, VISIT_MODES, Visit, due_filter, policies
from .visits import current_key as current_period_key

#: At most this many people and groups are kept on a phone (a worker's own caseload is far smaller).
MAX_PEOPLE = 500
MAX_GROUPS = 50
#: The latest visits of each person shown on the phone.
LAST_VISITS = 3
RISK_LABELS = dict(RISK_LEVELS)


def phone_data(user, townships: list | None, days: int, recent_days: int) -> dict:
    """The signed-in worker's own people who are due in a current period or were visited in the
    last ``recent_days``, masked for the phone, the groups they lead, and the reference lists.
    A fixed number of database questions whatever the caseload (one per visit policy, then one each)."""
    now = local_now()
    today = local_today()
    due: dict = {}
    collection = Archive._get_collection()
    for item in policies():
        key = current_period_key(item["period"])
        ends = period_bounds(item["period"], key)[1]
        for row in collection.find(due_filter(item, key, townships, user.pk), {"_id": 1}).limit(MAX_PEOPLE):
            due.setdefault(row["_id"], []).append({"policy": item["name"], "ends": ends.isoformat()})
    since = dt.datetime.combine(today - dt.timedelta(days=recent_days), dt.time())
    own = {"worker": user.pk, "status": "active", "voided": False}
    if townships is not None:
        own["township"] = {"$in": list(townships)}
    fields = {"name": 1, "current_address": 1, "community": 1, "categories": 1, "risk_level": 1, "township": 1,
              "worker": 1, "status": 1, "version": 1, "last_visited_at": 1, "_cls": 1}
    rows = list(collection.find({**own, "$or": [{"_id": {"$in": list(due)}}, {"last_visited_at": {"$gte": since}}]},
                                fields).sort([("name", 1), ("_id", 1)]).limit(MAX_PEOPLE))
    ids = [row["_id"] for row in rows]
    communities = {c.pk: c.name for c in Community.objects(pk__in=[r["community"] for r in rows if r.get("community")])
                   .only("name")}
    categories = {c.pk: c.name for c in PersonCategory.objects.only("name")}
    visits: dict = {}
    for visit in Visit._get_collection().find(
            {"people": {"$in": ids}, "voided": False, "visited_at": {"$gte": since}},
            {"people": 1, "visited_at": 1, "mode": 1}).sort([("visited_at", -1)]).limit(MAX_PEOPLE * LAST_VISITS):
        for person in visit.get("people") or []:
            kept = visits.setdefault(person, [])
            if len(kept) < LAST_VISITS:
                kept.append({"at": visit["visited_at"].strftime("%Y-%m-%d %H:%M"),
                             "mode": dict(VISIT_MODES).get(visit.get("mode"), "")})
    people = [{
        "id": str(row["_id"]), "name": row.get("name") or "", "address": row.get("current_address") or "",
        "community": communities.get(row.get("community"), ""),
        "categories": [categories[c] for c in row.get("categories") or [] if c in categories],
        "risk_level": row.get("risk_level"), "risk_label": RISK_LABELS.get(row.get("risk_level"), ""),
        "last_visits": visits.get(row["_id"], []), "due": due.get(row["_id"], []),
        "based_on": based_on(row),
    } for row in rows]
    return {
        "fetched_at": now.strftime("%Y-%m-%dT%H:%M:%S"),
        "expires_at": (now + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S"),
        "people": people,
        "groups": _groups(user, townships),
        "townships": [{"id": str(t.pk), "name": t.name} for t in _townships(townships)],
        "reference": {
            "modes": [list(c) for c in VISIT_MODES], "contact": [list(c) for c in CONTACT],
            "health": [list(c) for c in HOMELESS_HEALTH], "actions": [list(c) for c in ACTIONS],
            "campaigns": [list(c) for c in CAMPAIGNS],
        },
    }


def based_on(row: dict) -> dict:
    """What a record made offline is based on: the person as the phone downloaded them."""
    return {"person": str(row["_id"]), "version": row.get("version") or 1, "status": row.get("status") or "active",
            "township": str(row.get("township") or ""), "worker": str(row.get("worker") or ""),
            "risk_level": row.get("risk_level") or ""}


def _townships(townships):
    query = Township.objects.only("name").order_by("code")
    return query.filter(pk__in=townships) if townships is not None else query


def _groups(user, townships) -> list[dict]:
    query = {"voided": False, "facilitators": user.pk}
    if townships is not None:
        query["township"] = {"$in": list(townships)}
    rows = GroupSeries._get_collection().find(query, {"title": 1, "members": 1, "version": 1, "sessions.session_date": 1,
                                                      "session_count": 1}).sort([("title", 1)]).limit(MAX_GROUPS)
    return [{"id": str(r["_id"]), "title": r.get("title") or "", "members": r.get("members") or [],
             "version": r.get("version") or 1, "sessions": r.get("session_count") or 0} for r in rows]
