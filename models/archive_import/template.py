"""The import template of a kind: headers, an example row, drop-down lists, notes."""

from itertools import zip_longest

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..reference import Community, Township
from ..spreadsheets import Column as SheetColumn
from ..spreadsheets import Row, Sheet, workbook_bytes
from .columns import KIND_NAMES, MAX_ROWS, columns_for


def build_template(kind: str, townships: list | None = None) -> bytes:
    """An .xlsx template: headers, one example row, drop-down lists, a notes sheet.
    ``townships`` (ids) limits the township and community lists to a user's townships."""
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
    form = Sheet(f"{KIND_NAMES[kind]}档案", [SheetColumn(c.header + ("*" if c.required else ""), min_width=10) for c in columns],
                 [Row([c.example for c in columns], role="example")], validations=validations)
    lists = Sheet("选项", list_headers, [list(row) for row in zip_longest(*list_values)])
    return workbook_bytes([form, lists, Sheet("填写说明", ["填写说明"], notes)], None,
                          heading=f"{KIND_NAMES[kind]}档案导入模板")
