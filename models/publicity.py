"""Publicity (宣传): topics, townships covered, audience, materials made and
handed out. 社会救助专项宣传 is one topic, counted per month and per township."""

from mongoengine import (
    DateTimeField,
    EmbeddedDocumentField,
    FloatField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)

from .base import TrackedDocument
from .clock import local_today
from .errors import DomainError
from .periods import period_keys
from .reference import ThemeTag, Township
from .visits import Photo  # noqa: F401  (registers the embedded photo document)

AUDIENCES = (("children", "儿童及家长"), ("elderly", "老年人"), ("residents", "社区居民"), ("students", "学生"),
             ("workers", "基层工作者"), ("mixed", "综合"))
FORMATS = (("stall", "摆摊宣传"), ("lecture", "讲座"), ("door_to_door", "入户宣传"), ("online", "线上宣传"),
           ("performance", "文艺宣传"), ("other", "其他"))


class PublicityActivity(TrackedDocument):
    title = StringField(required=True, max_length=100, verbose_name="宣传活动名称")
    held_on = DateTimeField(required=True, verbose_name="日期")
    format = StringField(required=True, choices=FORMATS, verbose_name="形式")
    topics = ListField(ReferenceField(ThemeTag), verbose_name="宣传主题")
    townships = ListField(ReferenceField(Township), verbose_name="覆盖街道/乡镇")
    place = StringField(max_length=120, verbose_name="地点")
    audience = StringField(required=True, choices=AUDIENCES, verbose_name="宣传对象")
    people_reached = IntField(required=True, verbose_name="受众人数")
    hours = FloatField(verbose_name="时长（小时）")
    materials_made = StringField(max_length=300, verbose_name="制作的宣传品（名称、数量）")
    materials_given = IntField(default=0, verbose_name="发放宣传品（份）")
    photos = ListField(EmbeddedDocumentField("Photo"), verbose_name="宣传照片")
    photo_hashes = ListField(StringField(), verbose_name="照片摘要")  # derived: see services._validate
    summary = StringField(max_length=2000, verbose_name="宣传内容")
    year = StringField(verbose_name="年度")
    month = StringField(verbose_name="月份")

    meta = {"collection": "publicity", "ordering": ["-held_on"],
            "indexes": ["format", "audience", "townships", "topics", ("-held_on", "-id"), "year", "month", "photo_hashes"]}
    scope_field = "townships"
    file_fields = ("photos.file", "photos.thumbnail")
    unaudited_fields = frozenset({"year", "month"})

    def __str__(self):
        return f"{self.held_on:%Y-%m-%d} {self.title}" if self.held_on else (self.title or "宣传")

    def prepare(self):
        if self.held_on:
            keys = period_keys(self.held_on)
            self.year, self.month = keys["year"], keys["month"]

    def check_rules(self):
        if self.held_on and self.held_on.date() > local_today():
            raise DomainError("日期不能晚于今天。", field="held_on")
        if not self.topics:
            raise DomainError("请选择至少一个宣传主题。", field="topics")
        if not self.townships:
            raise DomainError("请选择覆盖的街道/乡镇。", field="townships")
        if self.people_reached is None or self.people_reached < 0:
            raise DomainError("受众人数不能为负数。", field="people_reached")
        if (self.materials_given or 0) < 0:
            raise DomainError("发放数量不能为负数。", field="materials_given")
        if self.hours is not None and not 0 < self.hours <= 24:
            raise DomainError("时长须大于 0 且不超过 24 小时。", field="hours")


def topic_months(topic_code: str, year: str, townships: list | None = None) -> dict[str, int]:
    """Activities of one topic per month of a year."""
    topic = ThemeTag.objects(code=topic_code).first()
    if topic is None:
        return {}
    match = {"topics": topic.pk, "year": year, "voided": False}
    if townships is not None:
        match["townships"] = {"$in": list(townships)}
    rows = PublicityActivity._get_collection().aggregate([{"$match": match}, {"$group": {"_id": "$month", "n": {"$sum": 1}}}])
    return {row["_id"]: row["n"] for row in rows}
