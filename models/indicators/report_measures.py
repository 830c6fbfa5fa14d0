"""The measures of the station's own reports: a monthly work brief issued each month,
and the year-end summary (总结材料) once issued."""

from ..briefs.reports import Brief, YearSummary
from ..periods import period_key
from .engine import count_measure, grouped, measures, months_grid
from .evidence import Evidence


@measures("briefs.monthly")
def _briefs(m, indicator, scope):
    match = {"contract": scope.contract.pk, "status": "issued", "voided": False}
    by_month = grouped(Brief, match, "month")
    months = {k: v for k, v in by_month.items() if k and k <= period_key("month", scope.until)}
    m.achieved = sum(1 for v in months.values() if v >= (indicator.per_period or 1))
    months_grid(m, scope, months, indicator.per_period or 1)
    m.evidence = Evidence(Brief, {**match, "month": {"$lte": period_key("month", scope.until)}}, "-month",
                          "sent_on", part_raw=match)
    m.counted = sum(months.values())


@measures("reports.year_summary")
def _year_summary(m, indicator, scope):
    """The contract's 总结材料: year-end summaries once issued, as issued briefs count for 工作简报."""
    count_measure(m, YearSummary, {"contract": scope.contract.pk, "status": "issued"}, scope, "sent_on",
                  township_field=None)
