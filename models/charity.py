"""Social resources (慈善+志愿): partner enterprises and charities, donations
received and given out, and 牵手同行 caring-parent pairings with children."""

from mongoengine import (
    DateTimeField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FileField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)

from .archives import Archive, ChildArchive
from .base import DISTRICT_WIDE, TrackedDocument, ref_id
from .clock import local_today
from .errors import DomainError
from .money import FenField
from .periods import period_keys
from .reference import Township
from .timeline import on_timeline

PARTNER_KINDS = (("enterprise", "爱心企业"), ("charity", "慈善机构/基金会"), ("social_org", "社会组织"),
                 ("agency", "机关事业单位"), ("individual", "爱心人士"), ("other", "其他"))
DIRECTIONS = (("received", "接收捐赠"), ("given", "发放/转赠"))
DONATION_KINDS = (("cash", "资金"), ("in_kind", "物资"))


class Partner(TrackedDocument):
    name = StringField(required=True, unique=True, max_length=100, verbose_name="名称")
    kind = StringField(required=True, choices=PARTNER_KINDS, verbose_name="类型")
    contact = StringField(max_length=40, verbose_name="联系人")
    phone = StringField(max_length=20, verbose_name="联系电话")
    address = StringField(max_length=200, verbose_name="地址")
    cooperation = StringField(max_length=1000, verbose_name="合作内容")

    meta = {"collection": "partners", "ordering": ["name"], "indexes": ["kind"]}
    scope_field = DISTRICT_WIDE  # partners work with the whole district

    def __str__(self):
        return self.name or "合作单位"

    def duplicate_message(self, actor=None):
        return f"已有合作单位“{self.name}”。"


@on_timeline("recipient", "-donated_on")
class Donation(TrackedDocument):
    direction = StringField(required=True, choices=DIRECTIONS, verbose_name="方向")
    donated_on = DateTimeField(required=True, verbose_name="日期")
    partner = ReferenceField(Partner, verbose_name="捐赠方/合作单位")
    kind = StringField(required=True, choices=DONATION_KINDS, verbose_name="类别")
    amount_fen = FenField(allow_zero=True, verbose_name="金额（元）")
    items = StringField(max_length=300, verbose_name="物资名称及数量")
    value_fen = FenField(allow_zero=True, verbose_name="物资估值（元）")
    event = ReferenceField("CommunityEvent", verbose_name="关联活动")
    recipient = ReferenceField(Archive, verbose_name="受助对象")
    township = ReferenceField(Township, verbose_name="街道/乡镇")
    receipt = FileField(collection_name="donation_files", verbose_name="捐赠凭证/签收单")
    notes = StringField(max_length=500, verbose_name="说明")
    year = StringField(verbose_name="年度")

    meta = {"collection": "donations", "ordering": ["-donated_on"],
            "indexes": ["direction", "kind", "partner", "recipient", "event", ("-donated_on", "-id"), "township", "year"]}
    scope_field = "township"  # a donation given out names the person and the township it went to
    file_fields = ("receipt",)
    unaudited_fields = frozenset({"year"})

    def __str__(self):
        what = self.items or ""
        return f"{self.donated_on:%Y-%m-%d} {dict(DIRECTIONS).get(self.direction, '')} {what}".strip() \
            if self.donated_on else "捐赠"

    def timeline_events(self, person_id) -> list[dict]:
        return [{"at": self.donated_on, "kind": "慈善帮扶", "text": self.items or "资金帮扶",
                 "who": str(self.partner or "")}]

    def prepare(self):
        if self.recipient is not None and not self.township:
            self.township = getattr(self.recipient, "township", None)
        if self.event is not None and not self.township:
            self.township = getattr(self.event, "township", None)
        if self.donated_on:
            self.year = period_keys(self.donated_on)["year"]

    def check_rules(self):
        if self.donated_on and self.donated_on.date() > local_today():
            raise DomainError("日期不能晚于今天。", field="donated_on")
        if self.kind == "cash" and not self.amount_fen:
            raise DomainError("资金捐赠请填写金额。", field="amount_fen")
        if self.kind == "in_kind" and not (self.items or "").strip():
            raise DomainError("物资捐赠请填写物资名称及数量。", field="items")
        if self.direction == "received" and self.partner is None:
            raise DomainError("接收捐赠请选择捐赠方。", field="partner")
        if self.direction == "given" and self.recipient is None and self.event is None:
            raise DomainError("发放时请选择受助对象或关联的活动。", field="recipient")


class PairingActivity(EmbeddedDocument):
    held_on = DateTimeField(required=True, verbose_name="日期")
    content = StringField(required=True, max_length=500, verbose_name="结对活动内容")

    def __str__(self):
        return f"{self.held_on:%Y-%m-%d} {self.content}" if self.held_on else (self.content or "")


@on_timeline("child", "-started_on")
class Pairing(TrackedDocument):
    """牵手同行：an caring parent paired with a child."""

    caring_parent = StringField(required=True, max_length=40, verbose_name="爱心家长")
    parent_phone = StringField(required=True, max_length=20, verbose_name="爱心家长电话")
    parent_organisation = StringField(max_length=80, verbose_name="爱心家长单位")
    child = ReferenceField(ChildArchive, required=True, verbose_name="结对儿童")
    township = ReferenceField(Township, verbose_name="街道/乡镇")
    guardian_contact = StringField(max_length=60, verbose_name="儿童监护人联系方式")
    started_on = DateTimeField(required=True, verbose_name="结对日期")
    ended_on = DateTimeField(verbose_name="结束日期")
    activities = ListField(EmbeddedDocumentField(PairingActivity), verbose_name="结对活动")
    activity_count = IntField(default=0, verbose_name="活动次数")

    meta = {"collection": "pairings", "ordering": ["-started_on"], "indexes": ["ended_on", "child", "township", ("-started_on", "-id")]}
    scope_field = "township"
    unaudited_fields = frozenset({"activity_count"})

    def __str__(self):
        return f"{self.caring_parent} 结对 {getattr(self.child, 'name', '')}"

    def timeline_events(self, person_id) -> list[dict]:
        events = [{"at": self.started_on, "kind": "牵手同行结对", "text": f"爱心家长 {self.caring_parent}", "who": ""}]
        events += [{"at": a.held_on, "kind": "牵手同行活动", "text": a.content, "who": self.caring_parent}
                   for a in self.activities or []]
        return events

    def prepare(self):
        if self.child is not None and not self.township:
            self.township = getattr(self.child, "township", None)
        self.activity_count = len(self.activities or [])

    def check_rules(self):
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            raise DomainError("结束日期不能早于结对日期。", field="ended_on")
        for activity in self.activities or []:
            if self.started_on and activity.held_on and activity.held_on < self.started_on:
                raise DomainError("结对活动的日期不能早于结对日期。", field="activities")
        open_pairing = Pairing.objects(child=ref_id(self._data.get("child")), ended_on=None, voided=False,
                                       pk__ne=self.pk).first()
        if open_pairing is not None and not self.ended_on and not self.voided:
            raise DomainError(f"该儿童已有进行中的结对（爱心家长 {open_pairing.caring_parent}），请先结束原结对。",
                              field="child")
