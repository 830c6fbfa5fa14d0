"""Supervision of elderly-care consumption subsidies (养老服务消费补贴评估与服务
监管): import the third-party assessment results and the subsidised services,
draw reproducible random samples (at least 2% / 20%), check each sampled item,
record findings, and follow rectification to closure."""

import datetime as dt
import math
import random
import secrets

from mongoengine import (
    DateTimeField,
    EmbeddedDocumentField,
    FileField,
    FloatField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)

from .archive_import import read_workbook
from .audit import write_audit
from .base import DISTRICT_WIDE, WHOLE_RESULT, TrackedDocument, ref_id
from .clock import local_today
from .dates import parse_date
from .errors import DomainError
from .files import base_name, store_upload
from .money import FenField, parse_yuan
from .reference import Township
from .rules import get_rules
from .sensitivity import ID_NUMBER
from .services import create_record, create_records
from .spreadsheets import Sheet, workbook_bytes
from .text import without_control_characters
from .users import User
from .visits import Photo  # noqa: F401  (registers the embedded photo document)

KINDS = (("assessment", "第三方评估结果"), ("service", "补贴服务记录"))
CHECK_KINDS = {"assessment": "实地核查", "service": "服务质量抽查"}
FINDINGS = (("none", "未发现问题"), ("price_inflation", "先涨价后抵扣"), ("false_service", "虚假服务"),
            ("fraud", "骗取套取补贴资金"), ("assessment_mismatch", "评估结果与实际不符"), ("other", "其他问题"))
CHECK_STATES = (("assigned", "待核查"), ("checked", "已核查"), ("rectifying", "整改中"), ("closed", "已办结"))
METHODS = (("onsite", "实地核查"), ("phone", "电话回访"), ("online", "线上核查"))
COLUMNS = {
    "assessment": [("external_no", "评估编号"), ("elder_name", "姓名"), ("id_number", "身份证号"),
                   ("township", "街道/乡镇"), ("organisation", "评估机构"), ("occurred_on", "评估日期"),
                   ("detail", "评估等级")],
    "service": [("external_no", "服务单号"), ("elder_name", "姓名"), ("id_number", "身份证号"),
                ("township", "街道/乡镇"), ("organisation", "服务机构"), ("occurred_on", "服务日期"),
                ("detail", "服务项目"), ("amount_fen", "金额（元）")],
}
MAX_LISTED_PROBLEMS = 30


class SubsidyBatch(TrackedDocument):
    kind = StringField(required=True, choices=KINDS, verbose_name="类别")
    filename = StringField(verbose_name="文件名")
    file = FileField(collection_name="subsidy_files", verbose_name="原文件")
    rows_total = IntField(default=0, verbose_name="行数")
    imported_count = IntField(default=0, verbose_name="新导入")
    skipped_count = IntField(default=0, verbose_name="已存在（跳过）")

    meta = {"collection": "subsidy_batches", "ordering": ["-created_at"]}
    scope_field = DISTRICT_WIDE  # a coordinator's import file; its rows (SubsidyItem) are scoped
    file_fields = ("file",)

    def __str__(self):
        return f"{dict(KINDS).get(self.kind, '')} {self.filename or ''}"


class SubsidyItem(TrackedDocument):
    """One imported row: an assessment result or a subsidised service."""

    kind = StringField(required=True, choices=KINDS, verbose_name="类别")
    batch = ReferenceField(SubsidyBatch, verbose_name="导入批次")
    external_no = StringField(required=True, max_length=60, verbose_name="编号")
    elder_name = StringField(required=True, max_length=40, verbose_name="老人姓名")
    id_number = StringField(max_length=18, verbose_name="身份证号", sensitive=ID_NUMBER)
    township = ReferenceField(Township, required=True, verbose_name="街道/乡镇")
    organisation = StringField(max_length=100, verbose_name="评估/服务机构")
    occurred_on = DateTimeField(required=True, verbose_name="评估/服务日期")
    detail = StringField(max_length=100, verbose_name="评估等级/服务项目")
    amount_fen = FenField(allow_zero=True, verbose_name="金额（元）")

    meta = {"collection": "subsidy_items", "ordering": ["external_no"],
            "indexes": [{"fields": ["kind", "external_no"], "unique": True}, "township", "occurred_on", "batch"]}
    scope_field = "township"

    def __str__(self):
        return f"{self.external_no} {self.elder_name}"

    @property
    def masked_id(self) -> str:
        number = self.id_number or ""
        return number[:4] + "*" * max(len(number) - 8, 0) + number[-4:] if len(number) > 8 else number


def template(kind: str) -> bytes:
    """The import form of a kind: the headers the importer reads, in the first row."""
    return workbook_bytes([Sheet(dict(KINDS)[kind], [label for _, label in COLUMNS[kind]], [])], None,
                          heading=f"{dict(KINDS)[kind]}导入模板")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return without_control_characters(str(value)).strip()


def import_subsidy_file(kind: str, data: bytes, filename: str, actor) -> SubsidyBatch:
    """Check the whole file first; import only when every row is clean. Rows whose
    number is already in the system are skipped, so a second import adds nothing."""
    if kind not in COLUMNS:
        raise DomainError("请选择导入的类别。", field="kind")
    workbook = read_workbook(data)
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        raise DomainError("文件是空的。")
    header = [_cell_text(c) for c in rows[0]]
    positions = {}
    for name, label in COLUMNS[kind]:
        if label not in header:
            raise DomainError(f"文件缺少“{label}”列。请使用本页下载的模板（{dict(KINDS)[kind]}）。")
        positions[name] = header.index(label)
    townships = {t.name: t.pk for t in Township.objects(voided=False)}
    existing = {row["external_no"] for row in SubsidyItem._get_collection().find(
        {"kind": kind}, {"external_no": 1}).batch_size(WHOLE_RESULT)}
    problems, parsed, seen = [], [], set()
    for number, row in enumerate(rows[1:], start=2):
        cells = {name: _cell_text(row[index] if index < len(row) else None) for name, index in positions.items()}
        raw_date = row[positions["occurred_on"]] if positions["occurred_on"] < len(row) else None
        if not any(cells.values()):
            continue
        found = []
        if not cells["external_no"]:
            found.append("编号为空")
        elif cells["external_no"] in seen:
            found.append(f"编号 {cells['external_no']} 在文件中重复")
        if not cells["elder_name"]:
            found.append("姓名为空")
        if cells["township"] not in townships:
            found.append(f"街道/乡镇“{cells['township']}”不存在")
        day = raw_date.date() if isinstance(raw_date, dt.datetime) else parse_date(cells["occurred_on"])
        if day is None:
            found.append(f"日期“{cells['occurred_on']}”看不懂")
        elif day > local_today():
            found.append("日期晚于今天")
        amount = None
        if kind == "service":
            try:
                amount = parse_yuan(cells["amount_fen"], allow_zero=True)
            except DomainError as exc:
                found.append(exc.message.rstrip("。"))
        if found:
            problems.append(f"第 {number} 行：{'；'.join(found)}")
            continue
        seen.add(cells["external_no"])
        if cells["external_no"] in existing:
            continue
        parsed.append(SubsidyItem(kind=kind, external_no=cells["external_no"], elder_name=cells["elder_name"],
                                  id_number=cells["id_number"] or None, township=townships[cells["township"]],
                                  organisation=cells["organisation"] or None, detail=cells["detail"] or None,
                                  occurred_on=dt.datetime.combine(day, dt.time()), amount_fen=amount))
    if problems:
        listed = "；".join(problems[:MAX_LISTED_PROBLEMS])
        more = f"（另有 {len(problems) - MAX_LISTED_PROBLEMS} 行有问题）" if len(problems) > MAX_LISTED_PROBLEMS else ""
        raise DomainError(f"文件有 {len(problems)} 行不能导入，未导入任何数据：{listed}{more}")
    batch = SubsidyBatch(kind=kind, filename=base_name(filename), rows_total=len(seen), imported_count=len(parsed),
                         skipped_count=len(seen) - len(parsed))
    store_upload(batch, "file", data, filename, max(len(data), 1) + 1)
    create_record(batch, actor)
    for item in parsed:
        item.batch = batch
    create_records(parsed, actor)  # one audit entry per imported row, in batches
    write_audit("import", actor, collection="subsidy_items", record_id=batch.pk, record_label=str(batch),
                detail=f"导入{dict(KINDS)[kind]} {len(parsed)} 条，已存在跳过 {len(seen) - len(parsed)} 条")
    return batch


def sample_indices(population_size: int, share: float, seed: int) -> list[int]:
    """Positions drawn from a population sorted by a stable key: the same seed
    and population always give the same sample. At least ``share`` of it."""
    if population_size <= 0:
        raise DomainError("所选范围内没有可抽查的记录，不能抽样。", field="date_from")
    size = max(1, math.ceil(round(population_size * share, 9)))
    return sorted(random.Random(seed).sample(range(population_size), size))


class SampleDraw(TrackedDocument):
    kind = StringField(required=True, choices=KINDS, verbose_name="抽样对象")
    date_from = DateTimeField(required=True, verbose_name="起始日期")
    date_to = DateTimeField(required=True, verbose_name="截止日期")
    share = FloatField(required=True, verbose_name="抽样比例")
    seed = IntField(required=True, verbose_name="随机种子")
    population_size = IntField(verbose_name="总体数量")
    sample_size = IntField(verbose_name="抽取数量")
    inspectors = ListField(ReferenceField(User), verbose_name="核查人员")

    meta = {"collection": "sample_draws", "ordering": ["-created_at"]}
    scope_field = DISTRICT_WIDE  # a coordinator's sample draw; its checks (SpotCheck) are scoped

    def __str__(self):
        return (f"{CHECK_KINDS.get(self.kind, '')} {self.date_from:%Y-%m-%d}至{self.date_to:%Y-%m-%d} "
                f"{self.share:.0%}（种子 {self.seed}）") if self.date_from and self.date_to else "抽样"


def population_ids(kind: str, date_from: dt.datetime, date_to: dt.datetime) -> list:
    """Ids of the items in a period, in a stable order (by their number)."""
    query = {"kind": kind, "voided": False, "occurred_on": {"$gte": date_from, "$lte": date_to}}
    cursor = SubsidyItem._get_collection().find(query, {"_id": 1}).sort([("external_no", 1), ("_id", 1)])
    cursor = cursor.batch_size(WHOLE_RESULT)
    return [row["_id"] for row in cursor]


def draw_sample(kind: str, date_from: dt.date, date_to: dt.date, share: float, seed: int | None, inspectors: list,
                actor) -> SampleDraw:
    """Draw and record a sample, and create one spot check per drawn item,
    assigned to the inspectors in turn."""
    rules = get_rules("service_rules")["subsidy"]
    minimum = float(rules["onsite_min_share" if kind == "assessment" else "quality_min_share"])
    if share is None or share < minimum - 1e-12:
        raise DomainError(f"{CHECK_KINDS[kind]}的抽样比例不能低于 {minimum:.0%}。", field="share")
    if share > 1:
        raise DomainError("抽样比例不能超过 100%。", field="share")
    if date_to < date_from:
        raise DomainError("截止日期不能早于起始日期。", field="date_to")
    if not inspectors:
        raise DomainError("请选择核查人员。", field="inspectors")
    start, end = dt.datetime.combine(date_from, dt.time()), dt.datetime.combine(date_to, dt.time())
    ids = population_ids(kind, start, end)
    seed = seed if seed is not None else secrets.randbelow(10**9)
    picked = sample_indices(len(ids), share, seed)
    draw = create_record(SampleDraw(kind=kind, date_from=start, date_to=end, share=share, seed=seed,
                                    population_size=len(ids), sample_size=len(picked), inspectors=inspectors), actor)
    items = {item.pk: item for item in SubsidyItem.objects(pk__in=[ids[i] for i in picked])
             .only("township", "external_no", "elder_name").batch_size(WHOLE_RESULT)}
    checks = [SpotCheck(draw=draw, item=items[ids[index]], kind=kind,
                        township=ref_id(items[ids[index]]._data.get("township")),
                        assigned_to=ref_id(inspectors[turn % len(inspectors)]), status="assigned")
              for turn, index in enumerate(picked)]
    create_records(checks, actor)  # one audit entry per spot check, in batches
    return draw


class SpotCheck(TrackedDocument):
    draw = ReferenceField(SampleDraw, required=True, verbose_name="抽样批次")
    item = ReferenceField(SubsidyItem, required=True, verbose_name="抽中的记录")
    kind = StringField(required=True, choices=KINDS, verbose_name="类别")
    township = ReferenceField(Township, verbose_name="街道/乡镇")
    assigned_to = ReferenceField(User, verbose_name="核查人员")
    status = StringField(choices=CHECK_STATES, default="assigned", verbose_name="状态")
    checked_on = DateTimeField(verbose_name="核查日期")
    method = StringField(choices=METHODS, verbose_name="核查方式")
    findings = ListField(StringField(choices=FINDINGS), verbose_name="核查发现")
    satisfaction = IntField(min_value=1, max_value=5, verbose_name="老人满意度（1-5）")
    notes = StringField(max_length=2000, verbose_name="核查情况")
    photos = ListField(EmbeddedDocumentField("Photo"), verbose_name="现场照片")
    photo_hashes = ListField(StringField(), verbose_name="照片摘要")  # derived: see services._validate
    rectification_due = DateTimeField(verbose_name="整改期限")
    rectified_on = DateTimeField(verbose_name="整改完成日期")
    rectification_notes = StringField(max_length=1000, verbose_name="整改情况")

    meta = {"collection": "spot_checks", "ordering": ["status", "rectification_due"],
            "indexes": ["findings", "checked_on", "draw", "item", "township", "assigned_to", ("status", "id"), "kind", "photo_hashes"]}
    scope_field = "township"
    file_fields = ("photos.file", "photos.thumbnail")
    unaudited_fields = frozenset({"status"})

    def __str__(self):
        return f"{CHECK_KINDS.get(self.kind, '')}：{self.item}" if self.item else "抽查"

    @property
    def problems(self) -> list[str]:
        return [f for f in self.findings or [] if f != "none"]

    def prepare(self):
        if self.rectified_on:
            self.status = "closed"
        elif self.checked_on and self.problems:
            self.status = "rectifying"
        elif self.checked_on:
            self.status = "checked"
        else:
            self.status = "assigned"

    def check_rules(self):
        if not self.checked_on:
            if self.findings or self.rectified_on:
                raise DomainError("请先填写核查日期。", field="checked_on")
            return
        if self.checked_on.date() > local_today():
            raise DomainError("核查日期不能晚于今天。", field="checked_on")
        if not self.method:
            raise DomainError("请选择核查方式。", field="method")
        if not self.findings:
            raise DomainError("请选择核查发现（没有问题时选“未发现问题”）。", field="findings")
        if "none" in self.findings and self.problems:
            raise DomainError("“未发现问题”不能与其他问题同时选择。", field="findings")
        if self.kind == "service" and self.satisfaction is None:
            raise DomainError("服务质量抽查请填写老人满意度（1-5）。", field="satisfaction")
        if self.problems and not self.rectification_due:
            raise DomainError("发现问题时请填写整改期限。", field="rectification_due")
        if self.rectification_due and self.rectification_due < self.checked_on:
            raise DomainError("整改期限不能早于核查日期。", field="rectification_due")
        if self.rectified_on:
            if not self.problems:
                raise DomainError("未发现问题的抽查不需要整改。", field="rectified_on")
            if self.rectified_on < self.checked_on:
                raise DomainError("整改完成日期不能早于核查日期。", field="rectified_on")
            if not (self.rectification_notes or "").strip():
                raise DomainError("请填写整改情况。", field="rectification_notes")


def check_shares(kind: str, date_from: dt.datetime, date_to: dt.datetime) -> dict:
    """Checked items as a share of the population in a period."""
    item_ids = population_ids(kind, date_from, date_to)
    size = len(item_ids)
    checked = len({row["item"] for row in SpotCheck._get_collection().find(
        {"item": {"$in": item_ids}, "checked_on": {"$ne": None}, "voided": False}, {"item": 1},
        batch_size=WHOLE_RESULT)})
    return {"population": size, "checked": checked, "share": checked / size if size else 0.0, "item_ids": item_ids}
