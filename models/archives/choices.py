"""The choices of an archive's fields (codes and their Chinese labels) and the names
of its kinds."""

SEXES = (("男", "男"), ("女", "女"))
STATUSES = (("active", "在档"), ("closed", "结案"), ("moved", "转出"), ("deceased", "死亡"), ("other", "其他"))
STATUS_LABELS = dict(STATUSES)
HOUSEHOLD_TYPES = (("农业", "农业户口"), ("非农业", "非农业户口"), ("居民", "居民户口"), ("不详", "不详"))
RISK_LEVELS = (("1", "一级（高）"), ("2", "二级（中）"), ("3", "三级（低）"))
RISK_LABELS = dict(RISK_LEVELS)
GUARDIANSHIP = (("missing", "监护缺失"), ("improper", "监护失当"), ("insufficient", "监护不足"), ("normal", "监护正常"))
PARENT_SITUATIONS = (
    ("home", "在家"), ("migrant", "外出务工"), ("prison", "服刑"), ("rehab", "强制隔离戒毒"),
    ("missing", "失联"), ("dead", "死亡"), ("severe_disability", "重残"), ("severe_illness", "重病"),
    ("custody_revoked", "被撤销监护资格"), ("deported", "被遣送出境"), ("other", "其他"),
)
HEALTH = (("healthy", "健康"), ("disabled", "残疾"), ("severe_illness", "重病"), ("chronic", "慢性病"))
ASSISTANCE = (
    ("dibao", "低保"), ("destitute_support", "特困供养"), ("orphan_allowance", "孤儿基本生活费"),
    ("defacto_allowance", "事实无人抚养儿童基本生活补贴"), ("disability_allowance", "残疾人两项补贴"),
    ("temporary", "临时救助"), ("other", "其他"),
)
LIVING = (("alone", "独居"), ("spouse", "与配偶居住"), ("children", "与子女居住"), ("relatives", "与其他亲属居住"),
          ("institution", "养老机构"), ("other", "其他"))
SUPPORT_MODES = (("centralised", "集中供养"), ("dispersed", "分散供养"))
SELF_CARE_ITEMS = (("eat", "自主吃饭"), ("dress", "自主穿衣"), ("bed", "自主上下床"), ("toilet", "自主如厕"),
                   ("walk", "室内行走"), ("bath", "自主洗澡"))
INCOME = (("pension", "养老金"), ("children", "子女供养"), ("dibao", "低保"), ("destitute", "特困供养金"),
          ("labour", "劳动收入"), ("subsidy", "高龄补贴"), ("other", "其他"))
ORIGINS = (("province", "本省"), ("other_province", "外省"), ("unknown", "无法查明"))
HOMELESS_HEALTH = (("healthy", "健康"), ("critical", "危重病人"), ("mental", "精神病人"), ("dementia", "痴呆傻"),
                   ("limb_disability", "肢体残疾"), ("infectious", "传染病人"))

KIND_LABELS = {"ChildArchive": "儿童", "ElderlyArchive": "老年人", "HomelessArchive": "流浪乞讨人员"}
KIND_KEYS = {"ChildArchive": "child", "ElderlyArchive": "elderly", "HomelessArchive": "homeless"}
