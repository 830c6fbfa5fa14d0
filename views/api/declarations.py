"""What the data interface serves, declared once: each record endpoint's fields, the
query parameters, and the endpoints that are figures. The handlers, the OpenAPI
description, the Chinese explanation page and the tests are built from it."""

from dataclasses import dataclass, field

from models.activities import TARGET_GROUPS, CommunityEvent
from models.archives import RISK_LEVELS, SEXES, STATUSES, Archive
from models.casework import CASE_TYPES, Case
from models.visits import CONTACT, VISIT_MODES, Visit


@dataclass(frozen=True)
class Out:
    """One field of an endpoint's rows: its stable name, how it is read, its type and meaning."""

    name: str
    kind: str  # id, text, date, datetime, choice, int, township, community, categories, user, users, people, masked,
    #           kind, age
    source: str | None = None
    description: str = ""
    choices: tuple = ()

    @property
    def schema(self) -> dict:
        types = {"id": "string", "text": "string", "date": "string", "datetime": "string", "choice": "string",
                 "int": "integer", "masked": "string", "kind": "string", "age": "integer", "user": "string"}
        if self.kind in ("township", "community"):
            found = {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}}
        elif self.kind in ("categories", "users"):
            found = {"type": "array", "items": {"type": "string"}}
        elif self.kind == "people":
            found = {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "string"}, "name": {"type": "string"}}}}
        else:
            found = {"type": types[self.kind]}
        if self.kind == "date":
            found["format"] = "date"
        if self.kind == "datetime":
            found["format"] = "date-time"
        if self.choices:
            found["enum"] = [code for code, _ in self.choices]
        found["description"] = self.described
        return found

    @property
    def described(self) -> str:
        if not self.choices:
            return self.description
        return f"{self.description}（" + "，".join(f"{code}={label}" for code, label in self.choices) + "）"


@dataclass(frozen=True)
class RecordEndpoint:
    path: str
    title: str
    document: type
    area: str
    date_field: str
    date_label: str
    fields: list = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return "api." + self.path.strip("/").replace("/", "_").replace("-", "_")


ARCHIVE_KINDS = tuple((key, label) for key, label in (("child", "儿童"), ("elderly", "老年人"),
                                                       ("homeless", "流浪乞讨人员")))
TOWNSHIP = Out("township", "township", "township", "街道/乡镇")
PHOTO_COUNT = Out("photo_count", "int", "photos", "照片张数")


def records(path: str, title: str, document: type, area: str, date_field: str, date_label: str, id_label: str,
            *fields: Out) -> RecordEndpoint:
    """A record endpoint: the record's id first, its own fields, and when it was last changed."""
    return RecordEndpoint(path, title, document, area, date_field, date_label, [
        Out("id", "id", "_id", id_label), *fields, Out("updated_at", "datetime", "updated_at", "最近修改时间")])


RECORDS = [
    records("/archives", "档案（一人一档）", Archive, "archives", "archive_date", "建档日期", "档案编号",
            Out("kind", "kind", "_cls", "档案类型", ARCHIVE_KINDS),
            Out("name", "text", "name", "姓名"),
            Out("sex", "choice", "sex", "性别", SEXES),
            Out("birth_date", "date", "birth_date", "出生日期"),
            Out("age", "age", "birth_date", "年龄（周岁，按今天计）"),
            Out("id_number", "masked", "id_number", "身份证号（遮蔽，如 4503**********1234）"),
            Out("township", "township", "township", "街道/乡镇（区划代码与名称）"),
            Out("community", "community", "community", "社区/村委（区划代码与名称）"),
            Out("categories", "categories", "categories", "对象类别代码"),
            Out("status", "choice", "status", "档案状态", STATUSES),
            Out("risk_level", "choice", "risk_level", "儿童风险等级", RISK_LEVELS),
            Out("capability_level", "text", "capability_level", "老年人能力评估等级"),
            Out("worker", "user", "worker", "责任社工姓名"),
            Out("completeness", "int", "completeness", "档案完整度（%）"),
            Out("archive_date", "date", "archive_date", "建档日期"),
            Out("last_visited_at", "datetime", "last_visited_at", "最近一次计入的入户探访")),
    records("/visits", "探访记录", Visit, "records", "visited_at", "探访时间", "探访记录编号",
            Out("visited_at", "datetime", "visited_at", "探访时间"),
            TOWNSHIP,
            Out("people", "people", "people", "探访对象（档案编号与姓名）"),
            Out("mode", "choice", "mode", "方式", VISIT_MODES),
            Out("contact", "choice", "contact", "是否见到", CONTACT),
            Out("counts_as_home_visit", "choice", "counts_as_home_visit", "是否计入入户探访", (("yes", "是"), ("no", "否"))),
            Out("visitors", "users", "visitors", "探访社工姓名"),
            PHOTO_COUNT),
    records("/services/cases", "个案服务", Case, "records", "opened_on", "接案日期", "个案编号",
            Out("title", "text", "title", "个案名称"),
            Out("case_type", "choice", "case_type", "个案类型", CASE_TYPES),
            Out("client", "people", "client", "服务对象（档案编号与姓名）"),
            TOWNSHIP,
            Out("worker", "user", "worker", "负责社工姓名"),
            Out("opened_on", "date", "opened_on", "接案日期"),
            Out("closed_on", "date", "closed_on", "结案日期（未结案为 null）"),
            Out("session_count", "int", "session_count", "服务次数")),
    records("/services/events", "社区活动", CommunityEvent, "records", "event_date", "活动日期", "活动编号",
            Out("title", "text", "title", "活动名称"),
            Out("event_date", "date", "event_date", "活动日期"),
            TOWNSHIP,
            Out("target_group", "choice", "target_group", "服务对象", TARGET_GROUPS),
            Out("people_served", "int", "people_served", "服务人数"),
            PHOTO_COUNT),
]

#: Query parameters every record endpoint takes.
RECORD_PARAMETERS = [
    ("township", "街道/乡镇的 9 位区划代码；不填为令牌可读的全部街道/乡镇"),
    ("since", "起始日期 YYYY-MM-DD（含），按各接口的日期字段"),
    ("until", "截止日期 YYYY-MM-DD（含）"),
    ("after", "翻页游标：上一页返回的 next_cursor"),
    ("limit", "每页条数，默认且最多为系统设置的上限"),
]
INDICATOR_PARAMETERS = [("contract", "合同编号；不填为当前合同")]
#: Endpoints that are not lists of records: (path, endpoint, title, area).
FIGURES = [
    ("/indicators", "api.indicators", "合同指标：完成值与逐月数据", "indicators"),
    ("/indicators/<code>", "api.indicator", "一项合同指标：完成值、逐月数据、分街道数据", "indicators"),
    ("/month-closes", "api.month_closes", "月度关账：各月冻结的指标数据", "indicators"),
]

