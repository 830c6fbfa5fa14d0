"""Field work without a connection: the synchronisation of what was recorded offline (home
visits with photos, street patrols with encounters, group-session attendance); what the
phone keeps to work from is models.phone_data.

Each item the phone sends carries an id made on the phone: sending it again (a retry, a
double tap) never makes a second record. An item whose person changed on the server since
the phone downloaded it (closed, moved, another worker, another risk level, a colleague's
visit on the same day) is held as a conflict with its explanation, never saved silently."""

import base64
import binascii
import datetime as dt
import re

from bson import ObjectId
from mongoengine import DateTimeField, Document, ObjectIdField, StringField
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from .archives import HOMELESS_HEALTH, STATUSES, Archive
from .base import DISTRICT_WIDE, ref_id
from .casework import GroupSeries, GroupSession, record_group_session
from .clock import local_now
from .dates import parse_date, parse_datetime
from .errors import DomainError, DuplicateRecordError, StaleRecordError
from .patrols import ACTIONS, CAMPAIGNS, Encounter, Patrol
from .phone_data import RISK_LABELS
from .reference import Township
from .services import create_record
from .visits import (
    CONTACT,
    VISIT_MODES,
    Visit,
    add_photo,
    discard_photos,
    request_risk_review,
)

#: At most this many photos travel with one item.
MAX_PHOTOS = 6
KINDS = {"visit": "入户探访", "patrol": "街头巡查", "session": "小组活动"}
CLIENT_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
STATUS_LABELS = dict(STATUSES)
#: What the worker may do with a conflict: save anyway (where the rules allow), change it, discard it.
SAVE, CHANGE, DISCARD = "save", "change", "discard"


class SyncReceipt(Document):
    """One item sent from a phone: the record id it was given when it first arrived, so that
    sending it again finds the record instead of making another."""

    key = StringField(primary_key=True)  # "<account id>:<id made on the phone>"
    kind = StringField(required=True)
    record_id = ObjectIdField(required=True)
    state = StringField(default="received")
    first_seen = DateTimeField()
    synced_at = DateTimeField()

    meta = {"collection": "sync_receipts"}
    scope_field = DISTRICT_WIDE  # keyed by its account: only ever read for the account that sent the item


# ---------------------------------------------------------------- synchronisation


def answer(item_id, state: str, message: str, choices: list | None = None, record: str | None = None) -> dict:
    return {"id": item_id, "state": state, "message": message, "choices": choices or [], "record": record}


def sync_items(items, user, townships: list | None, max_bytes: int) -> list[dict]:
    """Answer each item sent from the phone: saved, refused (with the reason; the phone keeps it
    for correction) or conflict (held with the explanation and what the worker may choose)."""
    if not isinstance(items, list):
        raise DomainError("同步数据格式不正确。")
    return [sync_item(item, user, townships, max_bytes) for item in items]


def sync_item(item, user, townships, max_bytes: int) -> dict:
    item_id = item.get("id") if isinstance(item, dict) else None
    if not isinstance(item_id, str) or not CLIENT_ID.match(item_id):
        return answer(None, "refused", "这条记录缺少本机编号，无法同步。请在本机删除后重新录入。")
    kind = item.get("kind")
    if kind not in KINDS:
        return answer(item_id, "refused", "无法识别的记录类型。")
    data = item.get("data")
    if not isinstance(data, dict):
        return answer(item_id, "refused", "记录内容不完整，请修改后重新同步。")
    try:
        receipt = _receipt(user, item_id, kind)
        if kind == "session":
            return _sync_session(item, data, user, townships, max_bytes)
        done = _existing(kind, receipt.record_id)
        if done is not None:
            return answer(item_id, "saved", f"已保存（此前已同步）：{done}", record=str(done.pk))
        return _sync_record(item, data, receipt, user, townships, max_bytes)
    except DomainError as exc:
        return answer(item_id, "refused", exc.message)


def _receipt(user, item_id: str, kind: str) -> SyncReceipt:
    """The receipt of an item, made when it first arrives (with the id its record gets)."""
    key = f"{user.pk}:{item_id}"
    collection = SyncReceipt._get_collection()
    try:
        raw = collection.find_one_and_update(
            {"_id": key}, {"$setOnInsert": {"kind": kind, "record_id": ObjectId(), "state": "received",
                                            "first_seen": local_now()}},
            upsert=True, return_document=ReturnDocument.AFTER)
    except DuplicateKeyError:  # the same item arrived twice at once: the other one made the receipt
        raw = collection.find_one({"_id": key})
    if raw.get("kind") != kind:
        raise DomainError("本机编号与已同步的另一条记录重复，请删除后重新录入。")
    return SyncReceipt._from_son(raw)


def _existing(kind: str, record_id):
    model = Visit if kind == "visit" else Patrol
    return model.objects(pk=record_id).first()


def _mark_synced(user, item_id: str) -> None:
    SyncReceipt._get_collection().update_one({"_id": f"{user.pk}:{item_id}"},
                                             {"$set": {"state": "saved", "synced_at": local_now()}})


def offline_note(item) -> str:
    """The audit trail's note on a record made offline: when it was entered, when it arrived."""
    entered = parse_datetime(str(item.get("recorded_at") or "")[:19].replace("T", " "))
    synced = local_now().strftime("%Y-%m-%d %H:%M")
    when = entered.strftime("%Y-%m-%d %H:%M") if entered else "（时间未知）"
    return f"离线录入于 {when}，同步于 {synced}"


def _text(data: dict, name: str, limit: int, label: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DomainError(f"{label}：格式不正确。")
    value = value.strip()
    if len(value) > limit:
        raise DomainError(f"{label}：不能超过 {limit} 个字。")
    return value


def _choice(data: dict, name: str, choices, label: str, default: str | None = None) -> str | None:
    value = data.get(name) or default
    if value is None:
        return None
    if value not in dict(choices):
        raise DomainError(f"{label}：不在可选范围内。")
    return value


def _id(value, label: str) -> ObjectId:
    if not isinstance(value, str) or not ObjectId.is_valid(value):
        raise DomainError(f"请选择{label}。")
    return ObjectId(value)


def _photos(item) -> list[tuple[bytes, str, str | None]]:
    photos = item.get("photos") or []
    if not isinstance(photos, list) or len(photos) > MAX_PHOTOS:
        raise DomainError(f"照片格式不正确（一条记录最多 {MAX_PHOTOS} 张）。")
    found = []
    for index, photo in enumerate(photos, start=1):
        if not isinstance(photo, dict) or not isinstance(photo.get("data"), str):
            raise DomainError(f"第 {index} 张照片无法读取，请重新拍摄或选择。")
        try:
            data = base64.b64decode(photo["data"].split(",", 1)[-1], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DomainError(f"第 {index} 张照片无法读取，请重新拍摄或选择。") from exc
        name = photo.get("name") if isinstance(photo.get("name"), str) else ""
        taken = photo.get("taken_at") if isinstance(photo.get("taken_at"), str) else None
        found.append((data, (name or f"photo-{index}.jpg")[:100], taken))
    return found


def _add_photos(record, photos, max_bytes: int) -> None:
    for data, name, taken in photos:
        photo = add_photo(record, data, name, max_bytes)
        if photo.taken_at is None and taken:  # the phone read the time before the picture was shrunk
            photo.taken_at = parse_datetime(taken[:19].replace("T", " "))


def _sync_record(item, data, receipt, user, townships, max_bytes) -> dict:
    item_id = item["id"]
    record = _visit(data, user) if receipt.kind == "visit" else _patrol(data, user, townships)
    record.pk = receipt.record_id
    if receipt.kind == "visit":
        held = visit_conflicts(record, item, user, townships)
        if held is not None:
            return held
    photos = _photos(item)
    try:
        _add_photos(record, photos, max_bytes)
        create_record(record, user, detail=offline_note(item))
    except DuplicateRecordError:
        discard_photos(record, set())
        done = _existing(receipt.kind, receipt.record_id)
        if done is None:
            raise
        return answer(item_id, "saved", f"已保存（此前已同步）：{done}", record=str(done.pk))
    except DomainError:
        discard_photos(record, set())
        raise
    if receipt.kind == "visit":
        request_risk_review(record, user)
    _mark_synced(user, item_id)
    return answer(item_id, "saved", f"已保存：{record}", record=str(record.pk))


def _visit(data: dict, user) -> Visit:
    person = Archive.objects(pk=_id(data.get("person"), "探访对象"), voided=False).first()
    if person is None:
        raise DomainError("探访对象不存在或已作废，请修改后重新同步。")
    visited_at = parse_datetime(_text(data, "visited_at", 30, "探访时间").replace("T", " "))
    if visited_at is None:
        raise DomainError("探访时间：请填写日期和时间（如 2026-03-05 14:30）。")
    return Visit(people=[person], township=person.township, visited_at=visited_at,
                 mode=_choice(data, "mode", VISIT_MODES, "方式", "home"),
                 contact=_choice(data, "contact", CONTACT, "是否见到", "made"), visitors=[user],
                 notes=_text(data, "notes", 5000, "探访记录"), findings=_text(data, "findings", 3000, "发现的问题"))


def _patrol(data: dict, user, townships) -> Patrol:
    day = parse_date(_text(data, "patrol_date", 20, "巡查日期"))
    if day is None:
        raise DomainError("巡查日期：请填写日期（如 2026-03-05）。")
    township_id = data.get("township") or (str(townships[0]) if townships and len(townships) == 1 else None)
    township = Township.objects(pk=_id(township_id, "街道/乡镇")).first()
    if township is None or (townships is not None and township.pk not in townships):
        raise DomainError("所选街道/乡镇不在您的负责范围内。")
    encounters = data.get("encounters") or []
    if not isinstance(encounters, list) or len(encounters) > 50:
        raise DomainError("发现对象：格式不正确。")
    found = []
    for index, raw in enumerate(encounters, start=1):
        if not isinstance(raw, dict):
            raise DomainError(f"第 {index} 个发现对象：格式不正确。")
        actions = raw.get("actions") or []
        if not isinstance(actions, list) or any(a not in dict(ACTIONS) for a in actions):
            raise DomainError(f"第 {index} 个发现对象：处置不在可选范围内。")
        found.append(Encounter(description=_text(raw, "description", 300, "体貌特征"), minor=raw.get("minor") is True,
                               health_state=_choice(raw, "health_state", HOMELESS_HEALTH, "健康状况"),
                               actions=list(dict.fromkeys(actions)), items_given=_text(raw, "items_given", 200, "发放物品"),
                               no_call_reason=_text(raw, "no_call_reason", 300, "未报警的原因"),
                               outcome=_text(raw, "outcome", 300, "结果")))
    return Patrol(patrol_date=dt.datetime.combine(day, dt.time()), start_time=_text(data, "start_time", 5, "开始时间"),
                  end_time=_text(data, "end_time", 5, "结束时间"), township=township,
                  places=_text(data, "places", 300, "巡查地点"), staff=[user],
                  campaign=_choice(data, "campaign", CAMPAIGNS, "专项活动"), encounters=found,
                  summary=_text(data, "summary", 3000, "巡查情况"))


def visit_conflicts(visit: Visit, item, user, townships) -> dict | None:
    """The conflict a visit made offline meets, or None: what changed since the phone downloaded
    the person, each said in Chinese, and whether "save anyway" is allowed (not for a person
    who is closed or out of the worker's townships now). ``force`` (the worker chose to save
    anyway) passes the conflicts that allow it."""
    person = visit.people[0]
    base = item.get("based_on") if isinstance(item.get("based_on"), dict) else {}
    township = ref_id(person._data.get("township"))
    if townships is not None and township not in townships:  # nobody's name said outside their scope
        return answer(item["id"], "conflict", "该对象已不在您负责的街道/乡镇（可能已转出），不能保存。请修改或放弃这条记录。",
                      [CHANGE, DISCARD])
    reasons, blocking = [], False
    if person.status != "active":
        when = f"（{person.status_date:%Y-%m-%d}）" if person.status_date else ""
        reasons.append(f"“{person.name}”的档案在您离线期间已{STATUS_LABELS.get(person.status, '变更')}{when}，"
                       "不能再登记探访。")
        blocking = True
    if base.get("township") and base.get("township") != str(township):
        reasons.append(f"“{person.name}”已转到{person.township}。")
    worker = ref_id(person._data.get("worker"))
    if base.get("worker") is not None and base.get("worker") != str(worker or ""):
        who = person.worker.display_name if worker and person.worker else "未分派"
        reasons.append(f"“{person.name}”的责任社工已改为{who}。")
    risk = getattr(person, "risk_level", None) or ""
    if base.get("risk_level") is not None and base.get("risk_level") != risk:
        reasons.append(f"“{person.name}”的风险等级已调整为{RISK_LABELS.get(risk, '未评估')}。")
    if visit.visited_at:
        same_day = Visit.objects(people=person.pk, day=visit.visited_at.strftime("%Y-%m-%d"), voided=False,
                                 pk__ne=visit.pk).only("visitors", "visited_at", "created_by").first()
        if same_day is not None:
            reasons.append(f"同一天（{same_day.visited_at:%m-%d %H:%M}）已有{same_day.created_by}登记了对"
                           f"“{person.name}”的探访。")
    if not reasons or (item.get("force") is True and not blocking):
        return None
    choices = [CHANGE, DISCARD] if blocking else [SAVE, CHANGE, DISCARD]
    advice = "请修改或放弃这条记录。" if blocking else "请核对后选择“仍然保存”、修改或放弃。"
    return answer(item["id"], "conflict", "".join(reasons) + advice, choices)


def _sync_session(item, data, user, townships, max_bytes) -> dict:
    item_id = item["id"]
    query = {"pk": _id(data.get("group"), "小组"), "voided": False}
    group = GroupSeries.objects(**query).first()
    if group is None or (townships is not None and ref_id(group._data.get("township")) not in townships):
        raise DomainError("小组不存在、已作废或不在您的负责范围内。")
    day = parse_date(_text(data, "session_date", 20, "日期"))
    if day is None:
        raise DomainError("请填写日期（如 2026-03-05）。")
    try:
        hours = float(data.get("hours"))
    except (TypeError, ValueError) as exc:
        raise DomainError("请填写时长（小时，如 2.5）。") from exc
    attendance = data.get("attendance") or []
    if not isinstance(attendance, list) or not all(isinstance(a, str) for a in attendance):
        raise DomainError("出席成员：格式不正确。")
    if not attendance:
        raise DomainError("请勾选出席的成员。")
    session = GroupSession(session_date=dt.datetime.combine(day, dt.time()), hours=hours,
                           topic=_text(data, "topic", 100, "主题"), content=_text(data, "content", 3000, "活动内容"),
                           attendance=[a.strip()[:40] for a in attendance], offline_id=item_id)
    photos = _photos(item)
    for _attempt in range(3):
        if any(s.offline_id == item_id for s in group.sessions or []):
            return answer(item_id, "saved", f"已保存（此前已同步）：{group}", record=str(group.pk))
        same = [s for s in group.sessions or [] if s.session_date and s.session_date.date() == day]
        if same and item.get("force") is not True:
            return answer(item_id, "conflict", f"“{group}”在 {day:%Y-%m-%d} 已记录了一节活动（可能是同事录入的）。"
                          "请核对后选择“仍然保存”、修改或放弃。", [SAVE, CHANGE, DISCARD])
        try:
            record_group_session(group, session, user, expected_version=group.version or 1,
                                 photos=[(d, n) for d, n, _ in photos], max_bytes=max_bytes, detail=offline_note(item))
        except StaleRecordError:
            group = GroupSeries.objects(**query).first()
            continue
        _mark_synced(user, item_id)
        return answer(item_id, "saved", f"已保存：{group} 第 {group.session_count} 节", record=str(group.pk))
    raise DomainError("小组正在被他人修改，请稍后重新同步。")


