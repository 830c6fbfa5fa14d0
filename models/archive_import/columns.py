"""The import's columns, per kind of archive (headers, the field each fills, how it is
read), and how a row's values go onto an archive."""

from dataclasses import dataclass

from ..archives import (
    GUARDIANSHIP,
    HOUSEHOLD_TYPES,
    LIVING,
    ORIGINS,
    PARENT_SITUATIONS,
    RISK_LEVELS,
    SEXES,
    SUPPORT_MODES,
    ParentInfo,
)
from ..custom_fields import definitions_for
from ..households import RELATIONS

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
