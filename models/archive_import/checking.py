"""The preview: every row checked as saving it would check it; nothing is written."""

import datetime as dt

from .. import idnumber
from ..archives import ARCHIVE_KINDS, PeopleOnFile
from ..base import ref_id
from ..errors import DomainError
from ..households import check_import_value
from ..services import check_record
from .columns import HOUSEHOLD_HEAD, HOUSEHOLD_RELATION, MAX_ROWS, _assign, columns_for
from .reading import Preview, RowResult, _is_example_row, _Lookups, _pick_sheet, read_workbook


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
    on_file = PeopleOnFile(people)
    for row in rows:
        if row.problems:
            continue
        archive = existing.get(row.existing_id) if row.action == "update" else model()
        if archive is None:
            row.problems.append("要更新的档案已不存在，请重新预览。")
            row.action = "error"
            continue
        _assign(archive, row.values)
        archive.people_on_file = on_file
        try:
            check_record(archive)
        except DomainError as exc:
            row.problems.append(exc.message)
            row.action = "error"
        else:
            if row.action == "create":
                row.checked = archive


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
