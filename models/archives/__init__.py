"""一人一档: one archive per person, in one collection, of three kinds
(children, elderly people, homeless people), each able to carry several
categories, organised by 街道/乡镇 and 社区/村委.

``choices`` holds the fields' choices, ``document`` the part every archive shares and
the duplicate-person check, ``kinds`` the three kinds; their names are all here."""

from .choices import (
    ASSISTANCE,
    GUARDIANSHIP,
    HEALTH,
    HOMELESS_HEALTH,
    HOUSEHOLD_TYPES,
    INCOME,
    KIND_KEYS,
    KIND_LABELS,
    LIVING,
    ORIGINS,
    PARENT_SITUATIONS,
    RISK_LABELS,
    RISK_LEVELS,
    SELF_CARE_ITEMS,
    SEXES,
    STATUS_LABELS,
    STATUSES,
    SUPPORT_MODES,
)
from .document import (
    FOLLOWERS,
    IDENTITY_FIELDS,
    Archive,
    ParentInfo,
    PeopleOnFile,
    age_on,
    check_duplicate_person,
    may_open,
    outside_message,
    pinyin_keys,
)
from .kinds import ARCHIVE_KINDS, ChildArchive, ElderlyArchive, HomelessArchive, self_care_level

__all__ = [
    "ARCHIVE_KINDS", "ASSISTANCE", "FOLLOWERS", "GUARDIANSHIP", "HEALTH", "HOMELESS_HEALTH", "HOUSEHOLD_TYPES",
    "IDENTITY_FIELDS", "INCOME", "KIND_KEYS", "KIND_LABELS", "LIVING", "ORIGINS", "PARENT_SITUATIONS",
    "RISK_LABELS", "RISK_LEVELS", "SELF_CARE_ITEMS", "SEXES", "STATUSES", "STATUS_LABELS", "SUPPORT_MODES",
    "Archive", "ChildArchive", "ElderlyArchive", "HomelessArchive", "ParentInfo", "PeopleOnFile", "age_on",
    "check_duplicate_person", "may_open", "outside_message", "pinyin_keys", "self_care_level",
]
