"""Synthetic demo data at any scale, for demo mode, tests and benchmarks:
Chinese names, valid ID numbers with 450305 address codes, ages that fit each
category. Written in bulk (one audit entry per batch, not per record)."""

import datetime as dt
import random

from models import idnumber
from models.activities import Attendee, CommunityEvent, EventVolunteer, Training
from models.archives import ChildArchive, ElderlyArchive, HomelessArchive, ParentInfo
from models.audit import write_audit
from models.base import ref_id
from models.budget import BudgetLine, Expense
from models.casework import Case, CaseSession, GroupSeries, GroupSession, StageDocument
from models.clock import local_now, local_today
from models.contracts import current_contract
from models.errors import DomainError
from models.escorts import ReturneeEscort
from models.money import parse_yuan
from models.patrols import Encounter, Patrol
from models.publicity import PublicityActivity
from models.reception import DutyDay, ReceptionContact
from models.reference import Community, PersonCategory, ThemeTag, Township
from models.services import create_record, snapshot, update_record
from models.staffing import StaffMember
from models.subsidy import SubsidyItem, draw_sample
from models.summaries import RecordSummary
from models.users import User
from models.visits import (
    Visit,
    last_counted_visits,
    period_counts,
    rebuild_visit_tallies,
    recent_visit_events,
    visit_tags,
)
from models.volunteers import Volunteer, VolunteerHourEntry, VolunteerTeam, refresh_totals

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红娥玲芬燕彬鑫宇浩然子涵欣怡梓轩一诺思雨佳琪俊雨泽"
PLACES = ["七星路口", "穿山公园", "东江码头", "漓江大桥下", "火车站广场", "朝阳菜市场"]
SCHOOLS = ["朝阳乡中心小学", "穿山小学", "七星区实验小学", "东江中学", "漓东小学"]
BATCH = 1000


def random_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _birth(rng: random.Random, low_age: int, high_age: int) -> dt.date:
    today = local_today()
    days = rng.randint(low_age * 365 + 1, high_age * 365 + 300)
    return today - dt.timedelta(days=days)


class _Ids:
    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def make(self, birth: dt.date, sex: str) -> str:
        while True:
            sequence = self.rng.randrange(0, 1000)
            if (sequence % 2 == 1) != (sex == "男"):
                sequence = (sequence + 1) % 1000
            number = idnumber.make("450305", birth, sequence)
            if number not in self.used:
                self.used.add(number)
                return number


def generate_archives(count: int, seed: int = 2026) -> dict[str, int]:
    """Insert ``count`` archives (children, elderly, homeless people)."""
    rng = random.Random(seed)
    townships = list(Township.objects(voided=False))
    communities = {}
    for community in Community.objects(voided=False):
        communities.setdefault(ref_id(community._data.get("township")), []).append(community)
    categories = {c.code: c for c in PersonCategory.objects(voided=False)}
    workers = list(User.objects(role="staff", active=True, voided=False))
    ids = _Ids(rng)
    ids.used.update(a["id_number"] for a in ChildArchive._get_collection().find(
        {"id_number": {"$exists": True}}, {"id_number": 1}) if a.get("id_number"))
    now = local_now()
    made = {"child": 0, "elderly": 0, "homeless": 0}
    batch = []
    for index in range(count):
        roll = rng.random()
        township = townships[index % len(townships)]
        common = {
            "township": township,
            "community": rng.choice(communities[township.pk]) if communities.get(township.pk) else None,
            "worker": rng.choice(workers) if workers and rng.random() < 0.8 else None,
            "phone": f"13{rng.randrange(10**8, 10**9)}",
            "current_address": f"七星区{township.name}{rng.randint(1, 99)}号",
            "archive_date": dt.datetime.combine(local_today() - dt.timedelta(days=rng.randint(0, 330)), dt.time()),
            "version": 1, "created_at": now, "created_by": "演示数据", "updated_at": now, "updated_by": "演示数据",
        }
        sex = rng.choice(("男", "女"))
        if roll < 0.45:
            doc = _child(rng, ids, sex, categories, common)
            made["child"] += 1
        elif roll < 0.9:
            doc = _elderly(rng, ids, sex, categories, common)
            made["elderly"] += 1
        else:
            doc = _homeless(rng, ids, sex, categories, common)
            made["homeless"] += 1
        doc.prepare()
        batch.append(doc.to_mongo().to_dict())
        if len(batch) >= BATCH:
            ChildArchive._get_collection().insert_many(batch)
            batch = []
    if batch:
        ChildArchive._get_collection().insert_many(batch)
    write_audit("import", None, actor_name="系统", collection="archives",
                detail=f"生成演示档案 {count} 份（儿童 {made['child']}，老年人 {made['elderly']}，流浪乞讨 {made['homeless']}）")
    return made


def _child(rng, ids, sex, categories, common):
    age_roll = rng.random()
    birth = _birth(rng, 1, 15 if age_roll < 0.85 else 17)
    age = (local_today() - birth).days // 365
    codes = ["left_behind_child"] if age < 16 and rng.random() < 0.5 else []
    codes += rng.sample(["child_in_difficulty", "dibao_child", "orphan", "de_facto_orphan", "migrant_child"],
                        k=1 if codes else rng.choice((1, 2)))
    father_situation = rng.choice(("migrant", "migrant", "prison", "dead", "severe_illness", "home"))
    risk = rng.choices(("1", "2", "3"), weights=(1, 3, 6))[0]
    return ChildArchive(
        name=random_name(rng), sex=sex, birth_date=dt.datetime.combine(birth, dt.time()),
        id_number=ids.make(birth, sex), household_type="农业", categories=[categories[c] for c in codes if c in categories],
        school=rng.choice(SCHOOLS), grade=f"{max(1, min(9, age - 6))}年级",
        father=ParentInfo(name=random_name(rng), situation=father_situation, work_place="广东东莞" if father_situation == "migrant" else None),
        mother=ParentInfo(name=random_name(rng), situation=rng.choice(("migrant", "home", "missing"))),
        carer_name=random_name(rng), carer_phone=f"139{rng.randrange(10**7, 10**8)}", carer_relation=rng.choice(("祖父", "祖母", "外婆", "叔叔")),
        guardianship=rng.choice(("insufficient", "normal", "improper", "missing")),
        risk_level=risk, risk_assessed_at=common["archive_date"],
        problems="父母长期在外，学习与生活照料不足" if rng.random() < 0.9 else None,
        needs="课业辅导、亲情陪伴、安全教育", help_goals="按风险等级定期探访，链接志愿者结对帮扶",
        **common,
    )


def _elderly(rng, ids, sex, categories, common):
    birth = _birth(rng, 60, 97)
    age = (local_today() - birth).days // 365
    codes = ["oldest_old"] if age >= 80 else []
    codes += rng.sample(["left_behind_elderly", "destitute_elderly", "childless_elderly"], k=1)
    levels = ("能力完好", "轻度失能", "中度失能", "重度失能", "完全失能")
    return ElderlyArchive(
        name=random_name(rng), sex=sex, birth_date=dt.datetime.combine(birth, dt.time()),
        id_number=ids.make(birth, sex), categories=[categories[c] for c in codes if c in categories],
        living_arrangement=rng.choice(("alone", "spouse", "children", "relatives")),
        support_mode="dispersed" if "destitute_elderly" in codes else None,
        self_care_met=rng.sample(["eat", "dress", "bed", "toilet", "walk", "bath"], k=rng.randint(2, 6)),
        emergency_contact=f"{random_name(rng)} 137{rng.randrange(10**7, 10**8)}",
        capability_level=rng.choice(levels) if rng.random() < 0.7 else None,
        **common,
    )


def _homeless(rng, ids, sex, categories, common):
    anonymous = rng.random() < 0.4
    birth = _birth(rng, 19, 70)
    found = local_now() - dt.timedelta(days=rng.randint(0, 300), hours=rng.randint(0, 20))
    return HomelessArchive(
        name=None if anonymous else random_name(rng), anonymous=anonymous, sex=sex,
        birth_date=None if anonymous else dt.datetime.combine(birth, dt.time()),
        id_number=None if anonymous else ids.make(birth, sex),
        description=f"{sex}，约{(local_today() - birth).days // 365}岁，衣着破旧", found_at=found.replace(second=0),
        found_place=rng.choice(PLACES), origin=rng.choice(("province", "other_province", "unknown")),
        health_state=rng.choice(("healthy", "healthy", "mental", "limb_disability")),
        categories=[categories["homeless"]] if "homeless" in categories else [],
        rescue_system_entered=rng.random() < 0.6, **common,
    )


def _mark_visited(visits: list[dict]) -> None:
    """Set ``visited_periods`` on the archives just visited and their latest visits in
    their summaries: one update by ``_id`` per archive, which the index answers (a filter
    on many ids reads the whole collection on the local database, and a bulk write of
    many updates in one command left FerretDB 1.24 waiting for a pool connection, 24
    minutes without an answer)."""
    recent = recent_visit_events(visits)
    tallies = period_counts(visits, list(recent))
    latest = last_counted_visits(visits)
    marks = [({"_id": pid}, {"$set": {"visited_periods": visit_tags(tallies[pid]), "last_visited_at": latest.get(pid)}},
              False) for pid in tallies]
    summaries = [({"_id": pid}, {"$set": {"recent_visits": recent.get(pid, [])},
                                 "$setOnInsert": {"change_log": [], "logged": 0}}, True)
                 for pid in tallies]  # their change logs stay
    for collection, updates in ((ChildArchive._get_collection(), marks), (RecordSummary._get_collection(), summaries)):
        for filter_, update, upsert in updates:
            collection.update_one(filter_, update, upsert=upsert)


def generate_demo_data(size: int, seed: int = 2026) -> dict[str, int]:
    """Everything demo mode shows: ``size`` archives, their visits, patrols."""
    counts = generate_archives(size, seed)
    counts.update(generate_visits_and_patrols(seed))
    counts.update(generate_operations(seed))
    counts.update(generate_services(max(100, size // 10), seed))
    return counts


DEMO_BUDGET_YUAN = {"人员经费": "240000.00", "活动经费": "45000.00", "培训督导": "12000.00", "宣传费用": "10000.00",
                    "物资费用": "15000.00", "收养评估": "6000.00", "办公运营": "12000.00", "其他": "5000.00"}
MATTERS = [("policy", "咨询低保申请条件"), ("child", "反映邻居家孩子长期无人照看"), ("elderly", "高龄老人申请居家养老服务"),
           ("assistance", "申请临时救助"), ("homeless", "反映桥下有流浪人员"), ("marriage", "咨询婚姻登记材料")]


def generate_operations(seed: int = 2026) -> dict[str, int]:
    """A budget split and expenses, a month of duty roster, reception contacts
    and escort requests, through the service layer (few records, all checked)."""
    rng = random.Random(seed)
    contract = current_contract()
    counts = {"expenses": 0, "duty_days": 0, "reception": 0, "escorts": 0}
    staff = list(User.objects(role="staff", active=True, voided=False)) or list(User.objects(active=True))
    townships = list(Township.objects(voided=False))
    today = local_today()
    if contract is None or not staff:
        return counts
    last_day = min(today, contract.end_date.date())
    first_day = contract.start_date.date()
    lines = {line.name: line for line in BudgetLine.objects(contract=contract.pk, voided=False)}
    for name, yuan in DEMO_BUDGET_YUAN.items():
        line = lines.get(name)
        if line is not None and not line.planned_fen:
            before = snapshot(line)
            line.planned_fen = parse_yuan(yuan)
            update_record(line, before, line.version, None)
    if first_day <= last_day:
        span = (last_day - first_day).days
        for _ in range(40):
            name = rng.choice(["活动经费", "物资费用", "宣传费用", "培训督导", "办公运营"])
            if name not in lines:
                continue
            day = first_day + dt.timedelta(days=rng.randint(0, span))
            try:
                create_record(Expense(line=lines[name], spent_on=dt.datetime.combine(day, dt.time()),
                                      amount_fen=rng.randint(5_000, 90_000), purpose=f"{name}支出（演示）",
                                      payee=rng.choice(["七星文具店", "漓江印务", "惠民超市"]),
                                      status=rng.choice(["paid", "paid", "committed"])), None)
            except DomainError:  # the line's budget is used up: a real station would not pay it either
                continue
            counts["expenses"] += 1
        for month in range(first_day.month, last_day.month + 1) if first_day.year == last_day.year else ():
            salary = dt.datetime(last_day.year, month, 15)
            if "人员经费" in lines:
                create_record(Expense(line=lines["人员经费"], spent_on=salary, amount_fen=1_950_000, payee="项目工作人员",
                                      purpose=f"{month}月工资及社保", over_budget_reason="演示：按月发放"), None)
                counts["expenses"] += 1
    start = today.replace(day=1)
    day = start
    while day.month == start.month:
        if day.weekday() < 5:
            create_record(DutyDay(day=dt.datetime.combine(day, dt.time()), place="station",
                                  on_duty=rng.sample(staff, k=min(2, len(staff))), phone="0773-5800000"), None)
            counts["duty_days"] += 1
        day += dt.timedelta(days=1)
    now = local_now().replace(second=0, microsecond=0)
    for index in range(20):
        category, matter = rng.choice(MATTERS)
        received = now - dt.timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 6))
        closed = index % 3 != 0
        create_record(ReceptionContact(
            received_at=received, place=rng.choice(["station", "protection"]), channel=rng.choice(["visit", "phone"]),
            caller_name=random_name(rng), caller_phone=f"138{rng.randrange(10**8):08d}", category=category,
            matter=matter, person_description="" if category == "policy" else "当事人未建档",
            township=rng.choice(townships), action_taken="已登记并解答，告知办理流程" if closed else None,
            follow_up_due=dt.datetime.combine((received + dt.timedelta(days=7)).date(), dt.time()),
            closed_at=received + dt.timedelta(days=2) if closed and received + dt.timedelta(days=2) < now else None,
            outcome="已办结" if closed else None), None)
        counts["reception"] += 1
    homeless = list(HomelessArchive.objects(voided=False).only("township").limit(3))
    for person in homeless:
        request = dt.datetime.combine(today - dt.timedelta(days=rng.randint(20, 90)), dt.time())
        create_record(ReturneeEscort(request_date=request, person=person, township=ref_id(person._data.get("township")),
                                     from_place="广东省广州市救助管理站", handover_date=request + dt.timedelta(days=2),
                                     handover_place="街道办事处", received_by="family", receiver_name="家属",
                                     station_staff="演示社工"), None)
        counts["escorts"] += 1
    return counts


def generate_visits_and_patrols(seed: int = 2026, weeks: int = 12, visits_per_person: tuple = (1, 3),
                                share_visited: float = 2 / 3) -> dict[str, int]:
    """Visits to part of the due people and about two patrols a week, over the last weeks."""
    rng = random.Random(seed)
    staff = list(User.objects(role="staff", active=True, voided=False)) or list(User.objects(active=True))
    people = list(ChildArchive._get_collection().find(
        {"status": "active", "voided": False, "_cls": {"$in": ["Archive.ChildArchive", "Archive.ElderlyArchive"]}},
        {"_id": 1, "township": 1}))
    homeless = [h["_id"] for h in HomelessArchive._get_collection().find({"_cls": "Archive.HomelessArchive"}, {"_id": 1})]
    townships = list(Township.objects(voided=False))
    now = local_now()
    visits, patrols = [], []
    for person in rng.sample(people, k=min(len(people), int(len(people) * share_visited))):
        for _ in range(rng.randint(*visits_per_person)):
            when = now - dt.timedelta(days=rng.randint(0, weeks * 7), hours=rng.randint(0, 8))
            visit = Visit(people=[person["_id"]], township=person["township"], visited_at=when.replace(second=0),
                          mode=rng.choices(("home", "phone", "school"), weights=(8, 1, 1))[0],
                          contact=rng.choices(("made", "attempted"), weights=(9, 1))[0],
                          visitors=[rng.choice(staff).pk] if staff else [],
                          living="生活基本稳定", notes="了解近况，宣传安全知识，叮嘱按时就医就学。",
                          version=1, created_at=now, created_by="演示数据", updated_at=now, updated_by="演示数据")
            visit.set_period_keys()
            visit.counts_as_home_visit = "yes" if visit.mode == "home" and visit.contact == "made" else "no"
            visits.append(visit.to_mongo().to_dict())
    for week in range(weeks):
        for _ in range(rng.choice((1, 2, 2, 3))):
            day = now - dt.timedelta(days=week * 7 + rng.randint(0, 6))
            encounters = []
            if homeless and rng.random() < 0.5:
                encounters.append(Encounter(person=rng.choice(homeless), actions=["onsite_aid"], items_given="食品、饮用水",
                                            health_state="healthy", outcome="已救助"))
            patrol = Patrol(patrol_date=dt.datetime.combine(day.date(), dt.time()), start_time="19:00", end_time="21:00",
                            township=rng.choice(townships), places=rng.choice(PLACES), campaign=None,
                            staff=[rng.choice(staff).pk] if staff else [], encounters=encounters, summary="按计划巡查。",
                            version=1, created_at=now, created_by="演示数据", updated_at=now, updated_by="演示数据")
            patrol.prepare()
            patrols.append(patrol.to_mongo().to_dict())
    if visits:
        for start in range(0, len(visits), BATCH):
            Visit._get_collection().insert_many(visits[start:start + BATCH])
        _mark_visited(visits)
        rebuild_visit_tallies()
    if patrols:
        Patrol._get_collection().insert_many(patrols)
    return {"visits": len(visits), "patrols": len(patrols)}


def _stamp(document, now):
    document.version, document.created_at, document.created_by = 1, now, "演示数据"
    document.updated_at, document.updated_by = now, "演示数据"
    document.prepare()
    return document.to_mongo().to_dict()


def generate_services(size: int = 200, seed: int = 2026) -> dict[str, int]:
    """Service records in bulk (cases, groups, events, trainings, volunteers,
    publicity): about ``size`` records over the past months, written in batches."""
    rng = random.Random(seed)
    now = local_now()
    today = local_today()
    townships = list(Township.objects(voided=False))
    staff = list(User.objects(role__in=["staff", "coordinator"], active=True, voided=False))
    if not townships or not staff:
        return {}
    # one read (a list of many ids in "$in" is checked id by id on the local database)
    archive_townships = {row["_id"]: row.get("township") for row in ChildArchive._get_collection().find(
        {"voided": False}, {"township": 1}).limit(max(size, 50))}
    people = list(archive_townships)
    themes = list(ThemeTag.objects(voided=False))
    topics = [t for t in themes if t.kind == "topic"] or themes

    def day_back(max_days=300):
        return dt.datetime.combine(today - dt.timedelta(days=rng.randint(1, max_days)), dt.time())

    team = VolunteerTeam.objects(name="七星区民政志愿服务队").first()
    if team is None:
        team = VolunteerTeam(name="七星区民政志愿服务队", leader="志愿者队长")
        VolunteerTeam._get_collection().insert_one(_stamp(team, now))
        team = VolunteerTeam.objects(name="七星区民政志愿服务队").first()
    volunteers = [Volunteer(name=random_name(rng), phone=f"139{rng.randrange(10**8):08d}", teams=[team],
                            status="active", joined_on=day_back()) for _ in range(max(25, size // 20))]
    Volunteer._get_collection().insert_many([_stamp(v, now) for v in volunteers])
    volunteer_ids = [v["_id"] for v in Volunteer._get_collection().find({}, {"_id": 1})]
    counts = {"cases": 0, "groups": 0, "events": 0, "trainings": 0, "publicity": 0, "volunteers": len(volunteers)}
    batches: dict = {Case: [], GroupSeries: [], CommunityEvent: [], Training: [], PublicityActivity: []}
    for index in range(size):
        kind = index % 10
        if kind in (0, 1) and people:
            person = rng.choice(people)
            professional = rng.random() < 0.25
            opened = day_back()
            count = rng.randint(1, 8 if professional else 4)
            sessions = [CaseSession(session_date=min(opened + dt.timedelta(days=7 * i), dt.datetime.combine(today, dt.time())),
                                    hours=rng.choice((1.0, 1.5, 2.0, 12.0 if professional else 2.0)), content="面谈与跟进")
                        for i in range(count)]
            batches[Case].append(Case(case_type="professional" if professional else "consultation", client=person,
                                      township=archive_townships.get(person), worker=rng.choice(staff).pk,
                                      title="个案服务", opened_on=opened, sessions=sessions,
                                      stage_documents=[StageDocument(stage="intake", written_on=opened, content="接案")]))
            counts["cases"] += 1
        elif kind == 2 and index % 40 == 2:
            started = day_back(200)
            members = [random_name(rng) for _ in range(8)]
            sessions = [GroupSession(session_date=started + dt.timedelta(days=7 * i), hours=rng.choice((2.0, 2.5)),
                                     topic=f"第{i + 1}节", attendance=rng.sample(members, 6)) for i in range(rng.randint(3, 6))]
            batches[GroupSeries].append(GroupSeries(title="成长小组", goal="增进同伴支持", township=rng.choice(townships).pk,
                                                    members=members, started_on=started, sessions=sessions))
            counts["groups"] += 1
        elif kind in (3, 4, 5):
            served = rng.choice((8, 15, 30, 45, 60, 80))
            helpers = rng.sample(volunteer_ids, k=min(3, len(volunteer_ids)))
            batches[CommunityEvent].append(CommunityEvent(
                title=rng.choice(["六一游园会", "重阳敬老活动", "中秋慰问", "防溺水宣传活动", "寒冬送温暖"]),
                event_date=day_back(), hours=rng.choice((2.0, 3.0)), place="社区活动室",
                township=rng.choice(townships).pk, target_group=rng.choice(["children", "elderly", "residents"]),
                themes=[rng.choice(themes).pk] if themes else [], people_served=served,
                volunteer_activity=rng.random() < 0.3,
                volunteers=[EventVolunteer(volunteer=v, hours=2.0) for v in helpers]))
            counts["events"] += 1
        elif kind == 6:
            audience = rng.choice(["child_workers", "volunteers", "staff_supervision"])
            attendees = [Attendee(name=random_name(rng), township=t.pk) for t in rng.sample(townships, k=min(3, len(townships)))]
            batches[Training].append(Training(title="业务培训", training_date=day_back(), audience=audience, hours=2.5,
                                              trainer="督导老师", attendees=attendees))
            counts["trainings"] += 1
        else:
            batches[PublicityActivity].append(PublicityActivity(
                title="政策宣传", held_on=day_back(), format="stall", topics=[rng.choice(topics).pk] if topics else [],
                townships=[rng.choice(townships).pk], audience="residents", people_reached=rng.randint(20, 200)))
            counts["publicity"] += 1
    ledger_rows = []
    for document_class, documents in batches.items():
        rows = [_stamp(d, now) for d in documents]
        for start in range(0, len(rows), BATCH):
            document_class._get_collection().insert_many(rows[start:start + BATCH])
        if document_class is CommunityEvent:
            ledger_rows += [{"volunteer": helper["volunteer"], "source": "event", "source_id": row["_id"],
                             "served_on": row["event_date"], "hours": helper["hours"], "activity": row["title"],
                             "year": row["year"]} for row in rows for helper in row.get("volunteers", [])]
    if ledger_rows:
        VolunteerHourEntry._get_collection().insert_many(ledger_rows)
        refresh_totals(volunteer_ids)
    if not StaffMember.objects.first():
        roster = [("项目主管", "男", "full_time", "bachelor", "social_work", True), ("社工一", "女", "full_time", "bachelor",
                   "social_work", True), ("社工二", "女", "full_time", "college", "psychology", False),
                  ("社工三", "男", "full_time", "bachelor", "law", False), ("兼职社工", "女", "part_time", "college",
                   "education", False), ("护理员", "女", "part_time", "college", "nursing", False)]
        StaffMember._get_collection().insert_many([_stamp(StaffMember(
            name=name, sex=sex, employment=employment, education=education, major_field=major, post="社工",
            street_rescue=rescue, started_on=dt.datetime(today.year, 1, 1)), now)
            for name, sex, employment, education, major, rescue in roster])
    counts.update(_generate_subsidy(rng, townships, staff, now))
    write_audit("import", None, collection="demo", detail=f"生成演示服务记录 {sum(counts.values())} 条")
    return counts


def _generate_subsidy(rng, townships, staff, now) -> dict[str, int]:
    """Subsidy results and services, and one sample of each drawn from them."""
    if SubsidyItem.objects.first() is not None:
        return {}
    today = local_today()
    start = dt.date(today.year, 1, 1)
    items = []
    for kind, prefix, size in (("assessment", "PG", 150), ("service", "FW", 300)):
        for index in range(size):
            day = start + dt.timedelta(days=rng.randint(0, max((today - start).days - 1, 0)))
            items.append(_stamp(SubsidyItem(kind=kind, external_no=f"{prefix}{today.year}{index:05d}",
                                            elder_name=random_name(rng), township=rng.choice(townships).pk,
                                            organisation=rng.choice(["爱心养老服务中心", "康乐居家服务社"]),
                                            occurred_on=dt.datetime.combine(day, dt.time()),
                                            detail="助餐" if kind == "service" else "轻度失能",
                                            amount_fen=rng.randint(1000, 8000) if kind == "service" else None), now))
    SubsidyItem._get_collection().insert_many(items)
    inspectors = [u for u in staff if u.role == "staff"] or staff
    draw_sample("assessment", start, today, 0.02, 2026, inspectors, None)
    draw_sample("service", start, today, 0.20, 2026, inspectors, None)
    return {"subsidy_items": len(items)}
