"""Excel import of the bureau's lists into 一人一档.

A template per kind (headers, an example row, drop-down lists); a preview that
checks every row and says what will happen; an import that runs only when the
whole file is clean, matches existing archives (by ID number, else by name,
birth date and township) so that importing the same file twice creates nothing
new, and keeps a log with the file."""

import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass, field

from mongoengine import FileField, IntField, StringField

from . import idnumber
from .archives import (
    ARCHIVE_KINDS,
    GUARDIANSHIP,
    HOUSEHOLD_TYPES,
    LIVING,
    ORIGINS,
    PARENT_SITUATIONS,
    RISK_LEVELS,
    SEXES,
    SUPPORT_MODES,
    Archive,
    ParentInfo,
    outside_message,
)
from .base import DISTRICT_WIDE, TrackedDocument, ref_id
from .custom_fields import definitions_for
from .dates import parse_date
from .errors import DomainError
from .households import RELATIONS, check_import_value, link_imported
from .reference import Community, PersonCategory, Township
from .services import check_record, create_record, create_records, snapshot, update_record
from .text import without_control_characters
from .users import User

KIND_NAMES = {"child": "儿童", "elderly": "老年人", "homeless": "流浪乞讨人员"}
MAX_ROWS = 20000
HOUSEHOLD_HEAD, HOUSEHOLD_RELATION = "household_head_id", "household_relation"
HOUSEHOLD_VALUES = (HOUSEHOLD_HEAD, HOUSEHOLD_RELATION)


def _labels(choices):
    return {label: code for code, label in choices}


@dataclass
class Column:
    header: str
    field: str
    required: bool = False
    kind: str = "text"  # text, date, choice, id, township, community, categories, worker, bool, parent_situation
    choices: tuple = ()
    example: str = ""


COMMON = [
    Column("姓名", "name", True, example="张小明"),
    Column("身份证号", "id_number", kind="id", example="450305201503051234"),
    Column("性别", "sex", kind="choice", choices=SEXES, example="男"),
    Column("出生日期", "birth_date", kind="date", example="2015-03-05"),
    Column("民族", "ethnicity", example="汉族"),
    Column("联系电话", "phone", example="13800000000"),
    Column("户口性质", "household_type", kind="choice", choices=HOUSEHOLD_TYPES, example="农业户口"),
    Column("户籍地址", "household_address", example="七星区朝阳乡某村"),
    Column("现住址", "current_address", example="七星区朝阳乡某村3号"),
    Column("街道/乡镇", "township", True, kind="township", example="朝阳乡"),
    Column("社区/村委", "community", kind="community", example=""),
    Column("对象类别", "categories", kind="categories", example="农村留守儿童"),
    Column("责任社工", "worker", kind="worker", example=""),
    Column("建档日期", "archive_date", kind="date", example="2026-03-01"),
    # not fields of the archive: they link the row into a household (models.households)
    Column("户主身份证号", HOUSEHOLD_HEAD, kind="id"),
    Column("与户主关系", HOUSEHOLD_RELATION, choices=tuple((label, label) for _, label in RELATIONS)),
]
KIND_COLUMNS = {
    "child": [
        Column("就读学校", "school", example="朝阳乡中心小学"),
        Column("年级", "grade", example="五年级"),
        Column("父亲姓名", "father.name", example="张大山"),
        Column("父亲现状况", "father.situation", kind="choice", choices=PARENT_SITUATIONS, example="外出务工"),
        Column("母亲姓名", "mother.name", example="李小花"),
        Column("母亲现状况", "mother.situation", kind="choice", choices=PARENT_SITUATIONS, example="外出务工"),
        Column("受委托监护人", "carer_name", example="张爷爷"),
        Column("监护人电话", "carer_phone", example="13900000000"),
        Column("与儿童关系", "carer_relation", example="祖父"),
        Column("监护状况评估", "guardianship", kind="choice", choices=GUARDIANSHIP, example="监护不足"),
        Column("风险等级", "risk_level", kind="choice", choices=RISK_LEVELS, example="二级（中）"),
        Column("存在问题", "problems", example="父母长期在外，学习无人辅导"),
        Column("需求评估", "needs", example="课业辅导、亲情陪伴"),
        Column("帮扶目标", "help_goals", example="每月探访，链接志愿者辅导"),
    ],
    "elderly": [
        Column("居住情况", "living_arrangement", kind="choice", choices=LIVING, example="独居"),
        Column("子女情况及去向", "children_whereabouts", example="一子在广东务工"),
        Column("特困供养方式", "support_mode", kind="choice", choices=SUPPORT_MODES, example="分散供养"),
        Column("所在养老机构", "institution", example=""),
        Column("疾病诊断", "diseases", example="高血压"),
        Column("紧急联系人及电话", "emergency_contact", example="张某 13700000000"),
    ],
    "homeless": [
        Column("身份不明", "anonymous", kind="bool", example="否"),
        Column("体貌特征", "description", example="男，约50岁，身高170厘米"),
        Column("发现时间", "found_at", kind="date", example="2026-03-05"),
        Column("发现地点", "found_place", example="七星路口"),
        Column("籍贯来源", "origin", kind="choice", choices=ORIGINS, example="本省"),
        Column("救助系统编号", "rescue_system_number", example=""),
    ],
}


def columns_for(kind: str) -> list[Column]:
    columns = COMMON + KIND_COLUMNS[kind]
    for definition in definitions_for(kind):
        choices = tuple((c, c) for c in definition.choices) if definition.kind == "choice" else ()
        columns.append(Column(definition.label, f"custom.{definition.key}", definition.required,
                              kind="custom", choices=choices))
    return columns


# ---------------------------------------------------------------- template


def build_template(kind: str, townships: list | None = None) -> bytes:
    """An .xlsx template: headers, one example row, drop-down lists, a notes sheet.
    ``townships`` (ids) limits the township and community lists to a user's townships."""
    from itertools import zip_longest

    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from .spreadsheets import Column, Row, Sheet, workbook_bytes

    columns = columns_for(kind)
    places, communities = Township.objects(voided=False), Community.objects(voided=False)
    if townships is not None:
        places, communities = places.filter(pk__in=townships), communities.filter(township__in=townships)
    option_sets = {
        "township": [t.name for t in places.order_by("sort_order")],
        "community": [c.name for c in communities.order_by("name")],
        "bool": ["是", "否"],
    }
    validations, list_headers, list_values = [], [], []
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        values = [label for _, label in column.choices] if column.choices else option_sets.get(column.kind)
        if not values:
            continue
        list_headers.append(column.header)
        list_values.append(values)
        list_letter = get_column_letter(len(list_headers))
        validation = DataValidation(type="list", formula1=f"=选项!${list_letter}$2:${list_letter}${len(values) + 1}",
                                    allow_blank=True, showErrorMessage=column.kind != "community")
        validation.error = f"请从下拉列表中选择“{column.header}”。"
        validation.add(f"{letter}3:{letter}{MAX_ROWS}")
        validations.append(validation)
    notes = [[line] for line in (
        "1. 第一行是表头，请勿修改；第二行是示例，导入时会跳过灰色斜体的示例行，也可以删除它。",
        "2. 带 * 的列必填。日期写成 2026-03-05 或 2026/3/5 或 2026年3月5日。",
        "3. 有身份证号时按身份证号匹配已有档案并更新；没有时按“姓名 + 出生日期 + 街道/乡镇”匹配。",
        "4. 对象类别可填多个，用顿号或逗号分隔；责任社工填系统中的用户名或姓名。",
        "5. 请不要使用公式，粘贴为数值后再导入。",
    )]
    form = Sheet(f"{KIND_NAMES[kind]}档案", [Column(c.header + ("*" if c.required else ""), min_width=10) for c in columns],
                 [Row([c.example for c in columns], role="example")], validations=validations)
    lists = Sheet("选项", list_headers, [list(row) for row in zip_longest(*list_values)])
    return workbook_bytes([form, lists, Sheet("填写说明", ["填写说明"], notes)], None,
                          heading=f"{KIND_NAMES[kind]}档案导入模板")


# ---------------------------------------------------------------- preview


@dataclass
class RowResult:
    row: int
    name: str = ""
    values: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    action: str = "create"  # create, update, unchanged, error
    existing_id: object = None
    #: a new row's archive as the preview built and checked it (what the confirmation inserts)
    checked: object = None

    @property
    def action_label(self) -> str:
        return {"create": "新建", "update": "更新已有档案", "unchanged": "无变化", "error": "有问题"}[self.action]


@dataclass
class Preview:
    kind: str
    rows: list[RowResult] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_problems and not any(r.problems for r in self.rows) and bool(self.rows)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def problem_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.problems]


def read_workbook(data: bytes):
    from openpyxl import load_workbook

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise DomainError("文件无法读取：不是有效的 Excel（.xlsx）文件。旧版 .xls 请在 Excel 中另存为 .xlsx 后再导入。")
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise DomainError("文件无法读取：Excel 文件已损坏或不是本系统的模板。") from exc


def preview_import(data: bytes, kind: str, allowed_townships: list | None) -> Preview:
    """Check every row; nothing is written."""
    if kind not in ARCHIVE_KINDS:
        raise DomainError("未知的档案类型。")
    preview = Preview(kind)
    workbook = read_workbook(data)
    columns = columns_for(kind)
    sheet = _pick_sheet(workbook, columns, preview)
    if sheet is None:
        return preview
    rows = sheet.iter_rows()
    header = [str(c.value or "").strip().rstrip("*") for c in next(rows)]
    positions = {c.header: header.index(c.header) for c in columns if c.header in header}
    missing = [c.header for c in columns if c.required and c.header not in positions]
    if missing:
        preview.file_problems.append(f"表头不符：缺少“{'”“'.join(missing)}”列，请使用系统提供的模板。")
        return preview
    lookups = _Lookups(kind)
    seen_ids, seen_keys = {}, {}
    for number, cells in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            preview.file_problems.append(f"一次最多导入 {MAX_ROWS} 行，请拆分文件。")
            break
        values = {}
        result = RowResult(row=number)
        if all(c.value in (None, "") for c in cells):
            continue
        if _is_example_row(cells, columns, positions):
            continue
        for column in columns:
            position = positions.get(column.header)
            if position is None or position >= len(cells):
                continue
            cell = cells[position]
            if cell.data_type == "f":
                result.problems.append(f"“{column.header}”是公式，请粘贴为数值后再导入。")
                continue
            try:
                value = lookups.convert(column, cell.value)
            except DomainError as exc:
                result.problems.append(exc.message)
                continue
            if value not in (None, "", []):
                values[column.field] = value
        result.values = values
        result.name = values.get("name", "")
        for column in columns:
            if column.required and column.field not in values and not any(column.header in p for p in result.problems):
                result.problems.append(f"“{column.header}”必填。")
        _check_row(result, lookups, allowed_townships)
        _check_duplicates_in_file(result, seen_ids, seen_keys)
        preview.rows.append(result)
    if not preview.rows and not preview.file_problems:
        preview.file_problems.append("文件中没有数据行。")
    people = lookups.match_existing(preview.rows, allowed_townships)
    _check_as_saved(preview.rows, kind, people)
    return preview


def _check_as_saved(rows: list[RowResult], kind: str, people: list) -> None:
    """Run on every clean row each rule that saving it runs (the archive built as the
    import will build it: new, or the existing one with the row's values), so that the
    import can never refuse a row the preview passed. One read of the archives updated;
    the duplicate-person check looks among ``people``, the archives on file that may be
    the rows' people (read once by match_existing)."""
    model = ARCHIVE_KINDS[kind]
    updated = [r.existing_id for r in rows if r.action == "update" and not r.problems]
    existing = {a.pk: a for a in model.objects(pk__in=updated).batch_size(len(updated) or 1)} if updated else {}
    for row in rows:
        if row.problems:
            continue
        archive = existing.get(row.existing_id) if row.action == "update" else model()
        if archive is None:
            row.problems.append("要更新的档案已不存在，请重新预览。")
            row.action = "error"
            continue
        _assign(archive, row.values)
        archive.people_on_file = people
        try:
            check_record(archive)
        except DomainError as exc:
            row.problems.append(exc.message)
            row.action = "error"
        else:
            if row.action == "create":
                row.checked = archive


def _is_example_row(cells, columns, positions) -> bool:
    """The template's example row, left in by the user."""
    for column in columns:
        if not column.example:
            continue
        position = positions.get(column.header)
        if position is None or position >= len(cells):
            return False
        if str(cells[position].value or "").strip() != column.example:
            return False
    return True


def _pick_sheet(workbook, columns, preview):
    required = {c.header for c in columns if c.required}
    for sheet in workbook.worksheets:
        first = next(sheet.iter_rows(max_row=1), None)
        if first is None:
            continue
        headers = {str(c.value or "").strip().rstrip("*") for c in first}
        if required <= headers:
            return sheet
    names = "、".join(s.title for s in workbook.worksheets)
    preview.file_problems.append(f"找不到含“{'”“'.join(sorted(required))}”表头的工作表（文件中的工作表：{names}）。"
                                 "请使用系统提供的模板，或检查是否选错了档案类型。")
    return None


class _Lookups:
    """Reference data read once per import (no query per row)."""

    def __init__(self, kind: str):
        self.kind = kind
        self.townships = {t.name: t for t in Township.objects(voided=False)}
        self.communities = {}
        for community in Community.objects(voided=False):
            self.communities.setdefault(community.name, []).append(community)
        self.categories = {c.name: c for c in PersonCategory.objects(voided=False)}
        self.workers = {}
        for user in User.objects(voided=False, active=True).only("username", "display_name", "townships"):
            self.workers[user.username] = user
            self.workers.setdefault(user.display_name, user)
        self.customs = {d.key: d for d in definitions_for(kind)}

    def convert(self, column: Column, raw):
        if isinstance(raw, str):
            raw = without_control_characters(raw).strip()
        if raw in (None, ""):
            return None
        if column.kind == "date":
            if isinstance(raw, dt.datetime):
                return raw.replace(hour=0, minute=0, second=0, microsecond=0)
            if isinstance(raw, dt.date):
                return dt.datetime.combine(raw, dt.time())
            day = parse_date(str(raw))
            if day is None:
                raise DomainError(f"“{column.header}”不是有效日期：{raw}（应写成 2026-03-05）。")
            return dt.datetime.combine(day, dt.time())
        if column.kind == "id":
            return idnumber.normalise(str(raw))
        if column.kind == "choice":
            text = str(raw)
            labels = _labels(column.choices)
            codes = {code for code, _ in column.choices}
            if text in labels:
                return labels[text]
            if text in codes:
                return text
            raise DomainError(f"“{column.header}”只能填：{'、'.join(labels)}（现为“{text}”）。")
        if column.kind == "bool":
            if str(raw) in ("是", "1", "Y", "y"):
                return True
            if str(raw) in ("否", "0", "N", "n"):
                return False
            raise DomainError(f"“{column.header}”应填“是”或“否”。")
        if column.kind == "township":
            township = self.townships.get(str(raw))
            if township is None:
                raise DomainError(f"未知的街道/乡镇：“{raw}”。")
            return township
        if column.kind == "community":
            return str(raw)  # resolved against the row's township in _check_row
        if column.kind == "categories":
            names = [n.strip() for n in str(raw).replace("，", "、").replace(",", "、").split("、") if n.strip()]
            unknown = [n for n in names if n not in self.categories]
            if unknown:
                raise DomainError(f"未知的对象类别：“{'、'.join(unknown)}”。")
            return [self.categories[n] for n in names]
        if column.kind == "worker":
            worker = self.workers.get(str(raw))
            if worker is None:
                raise DomainError(f"找不到责任社工“{raw}”（请填用户名或姓名）。")
            return worker
        if column.kind == "custom":
            definition = self.customs[column.field.split(".", 1)[1]]
            return definition.clean_value(raw)
        return str(raw)[:500]

    def match_existing(self, rows: list[RowResult], allowed_townships: list | None = None) -> list:
        """One query for the ID numbers, one for the names: which rows update what. Returns
        the archives read (those that may be the rows' people, for the duplicate check)."""
        ids = [r.values["id_number"] for r in rows if r.values.get("id_number") and not r.problems]
        by_id = {a.id_number: a for a in Archive.objects(id_number__in=ids)} if ids else {}
        names = list({r.values["name"] for r in rows if r.values.get("name")})
        by_key, people = {}, list(by_id.values())
        if names:
            for archive in Archive.objects(name__in=names, voided=False).only(
                    "name", "birth_date", "township", "id_number", "voided"):
                people.append(archive)
                by_key[(archive.name, archive.birth_date, ref_id(archive._data.get("township")))] = archive
        for row in rows:
            if row.problems:
                row.action = "error"
                continue
            existing = by_id.get(row.values.get("id_number"))
            if existing is None and not row.values.get("id_number"):
                existing = by_key.get((row.values.get("name"), row.values.get("birth_date"),
                                       ref_id(row.values.get("township"))))
            if existing is None:
                row.action = "create"
                continue
            if allowed_townships is not None and ref_id(existing._data.get("township")) not in allowed_townships:
                row.problems.append(outside_message(row.values["id_number"]))  # neither whose nor where
                row.action = "error"
                continue
            if existing._cls.split(".")[-1] != ARCHIVE_KINDS[self.kind].__name__:
                row.problems.append(f"已存在同一身份证号的{existing.kind_label}档案“{existing.name}”，类型不同，不能导入为{KIND_NAMES[self.kind]}档案。")
                row.action = "error"
                continue
            row.existing_id = existing.pk
            row.action = "update"
            row.notes.append(f"将更新已有档案“{existing.name}”")
        return people


def _check_row(result: RowResult, lookups: _Lookups, allowed_townships) -> None:
    values = result.values
    result.problems.extend(check_import_value(values.get(HOUSEHOLD_HEAD), values.get(HOUSEHOLD_RELATION)))
    if values.get(HOUSEHOLD_HEAD):
        result.notes.append(f"归入户主 {idnumber.mask(values[HOUSEHOLD_HEAD])} 的家庭户")
    township = values.get("township")
    if township is not None and allowed_townships is not None and township.pk not in allowed_townships:
        result.problems.append(f"{township.name}不在您的负责范围内。")
    community_name = values.get("community")
    if community_name:
        match = [c for c in lookups.communities.get(community_name, [])
                 if township is not None and ref_id(c._data.get("township")) == township.pk]
        if not match:
            result.problems.append(f"社区/村委“{community_name}”不在{getattr(township, 'name', '所填街道/乡镇')}下。")
        else:
            values["community"] = match[0]
    number = values.get("id_number")
    if number:
        try:
            birth, sex = idnumber.parse(number)
        except idnumber.IdNumberError as exc:
            result.problems.append(str(exc))
        else:
            if values.get("birth_date") and values["birth_date"].date() != birth:
                result.problems.append(f"出生日期与身份证号不一致（身份证号为 {birth:%Y-%m-%d}）。")
            values.setdefault("birth_date", dt.datetime.combine(birth, dt.time()))
            if values.get("sex") and values["sex"] != sex:
                result.problems.append(f"性别与身份证号不一致（身份证号为{sex}）。")
            values.setdefault("sex", sex)


def _check_duplicates_in_file(result: RowResult, seen_ids: dict, seen_keys: dict) -> None:
    number = result.values.get("id_number")
    if number:
        if number in seen_ids:
            result.problems.append(f"与第 {seen_ids[number]} 行的身份证号重复。")
        else:
            seen_ids[number] = result.row
        return
    key = (result.values.get("name"), result.values.get("birth_date"), ref_id(result.values.get("township")))
    if all(key):
        if key in seen_keys:
            result.problems.append(f"与第 {seen_keys[key]} 行的姓名、出生日期、街道/乡镇相同。")
        else:
            seen_keys[key] = result.row


# ---------------------------------------------------------------- import


class ImportBatch(TrackedDocument):
    kind = StringField(required=True, choices=tuple(KIND_NAMES.items()), verbose_name="档案类型")
    filename = StringField(verbose_name="文件名")
    file = FileField(collection_name="import_files", verbose_name="文件")
    file_hash = StringField(verbose_name="文件摘要")
    rows_total = IntField(default=0, verbose_name="数据行")
    created_count = IntField(default=0, verbose_name="新建")
    updated_count = IntField(default=0, verbose_name="更新")
    unchanged_count = IntField(default=0, verbose_name="无变化")
    status = StringField(choices=(("previewed", "已预览"), ("imported", "已导入")), default="previewed",
                         verbose_name="状态")

    meta = {"collection": "import_batches", "ordering": ["-created_at"], "indexes": ["-created_at", "created_by"]}
    scope_field = DISTRICT_WIDE  # an uploaded file, shown to scoped users only when they uploaded it (views.archive_import); its rows are checked against the uploader's townships
    file_fields = ("file",)

    def __str__(self):
        return f"{self.filename}（{KIND_NAMES.get(self.kind, '')}）"


def start_batch(data: bytes, filename: str, kind: str, rows_total: int, actor) -> ImportBatch:
    from .files import base_name

    filename = base_name(filename)
    batch = ImportBatch(kind=kind, filename=filename, file_hash=hashlib.sha256(data).hexdigest(),
                        rows_total=rows_total)
    batch.file.put(data, filename=filename,
                   content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return create_record(batch, actor)


def apply_import(batch: ImportBatch, allowed_townships, actor) -> Preview:
    """Re-check the stored file and write it, only if every row is clean."""
    if batch.status == "imported":
        raise DomainError("这个导入批次已经导入过了。")
    data = batch.file.read()
    preview = preview_import(data, batch.kind, allowed_townships)
    if not preview.ok:
        rows = "、".join(str(r.row) for r in preview.problem_rows[:20])
        where = f"第 {rows} 行" + ("等" if len(preview.problem_rows) > 20 else "") if rows else "文件"
        raise DomainError(f"{where}仍有问题，未导入任何数据。请修改后重新上传。")
    model = ARCHIVE_KINDS[batch.kind]
    existing_ids = [r.existing_id for r in preview.rows if r.action == "update"]
    existing = {a.pk: a for a in model.objects(pk__in=existing_ids)} if existing_ids else {}
    updated = unchanged = 0
    new_archives = [row.checked for row in preview.rows if row.action == "create"]
    created = create_records(new_archives, actor, checked=True)  # checked just now, by the preview above
    written = iter(new_archives)
    linked = []
    for row in preview.rows:
        archive_id = next(written).pk if row.action == "create" else row.existing_id
        if row.values.get(HOUSEHOLD_HEAD):
            linked.append((archive_id, row.values[HOUSEHOLD_HEAD], row.values.get(HOUSEHOLD_RELATION) or ""))
    for row in preview.rows:
        if row.action == "create":
            continue
        archive = existing[row.existing_id]
        before = snapshot(archive)
        _assign(archive, row.values)
        if update_record(archive, before, archive.version, actor):
            updated += 1
        else:
            unchanged += 1
    link_imported(linked, actor)
    before = snapshot(batch)
    batch.status = "imported"
    batch.created_count, batch.updated_count, batch.unchanged_count = created, updated, unchanged
    update_record(batch, before, batch.version, actor)
    return preview


def _assign(archive, values: dict) -> None:
    for name, value in values.items():
        if name in HOUSEHOLD_VALUES:
            continue  # the household link, written by link_imported after the archives
        if name.startswith("custom."):
            custom = dict(archive.custom or {})
            custom[name.split(".", 1)[1]] = value
            archive.custom = custom
        elif "." in name:
            parent_name, attribute = name.split(".", 1)
            parent = getattr(archive, parent_name) or ParentInfo()
            setattr(parent, attribute, value)
            setattr(archive, parent_name, parent)
        else:
            setattr(archive, name, value)
