"""Reading an uploaded workbook: the sheet, the rows, each cell as the value its column
takes (reference data read once per import), and which rows match archives on file."""

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

from openpyxl import load_workbook

from .. import idnumber
from ..archives import ARCHIVE_KINDS, Archive, outside_message
from ..base import ref_id
from ..custom_fields import definitions_for
from ..dates import parse_date
from ..errors import DomainError
from ..reference import Community, PersonCategory, Township
from ..text import without_control_characters
from ..users import User
from .columns import KIND_NAMES, Column, _labels


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
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise DomainError("文件无法读取：不是有效的 Excel（.xlsx）文件。旧版 .xls 请在 Excel 中另存为 .xlsx 后再导入。")
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise DomainError("文件无法读取：Excel 文件已损坏或不是本系统的模板。") from exc


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
            return _known(self.townships, raw, f"未知的街道/乡镇：“{raw}”。")
        if column.kind == "community":
            return str(raw)  # resolved against the row's township in _check_row
        if column.kind == "categories":
            names = [n.strip() for n in str(raw).replace("，", "、").replace(",", "、").split("、") if n.strip()]
            unknown = [n for n in names if n not in self.categories]
            if unknown:
                raise DomainError(f"未知的对象类别：“{'、'.join(unknown)}”。")
            return [self.categories[n] for n in names]
        if column.kind == "worker":
            return _known(self.workers, raw, f"找不到责任社工“{raw}”（请填用户名或姓名）。")
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


def _known(table: dict, raw, refusal: str):
    """The record a cell names (by its text in ``table``), or the Chinese ``refusal``."""
    found = table.get(str(raw))
    if found is None:
        raise DomainError(refusal)
    return found
