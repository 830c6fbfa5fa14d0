"""The words of the contract indicators, shared by the indicator document and its engine
(models.indicators) and by the reports that freeze their figures (models.briefs): the
areas, kinds, comparisons and periods an indicator is declared with, and the statuses a
measurement gives. Declarations only: this module imports nothing."""

AREAS = (("children", "儿童"), ("elderly", "养老"), ("rescue", "救助"), ("professional", "专业服务"),
         ("volunteers", "志愿者"), ("publicity", "宣传"), ("affairs", "事务"))
KINDS = (("count", "计数"), ("periodic", "逐期"), ("coverage", "覆盖率"), ("ratio", "比例"), ("checklist", "清单"),
         ("rule", "规则"))
OPERATORS = ((">=", "不少于（≥）"), (">", "多于（>）"), ("<=", "不超过（≤）"), ("<", "少于（<）"), ("==", "等于（=）"))
PERIODS = (("week", "每周"), ("month", "每月"))
STATUS_LABELS = {"met": "达标", "on_track": "正常", "lagging": "滞后", "at_risk": "风险"}
PERCENT_KINDS = ("coverage", "ratio", "rule")
#: A comparison as its sign alone (≥), as the tables and sentences write it.
OPERATOR_SIGNS = {code: label.split("（")[0] for code, label in OPERATORS}
