"""The text of a brief and of a year-end summary, generated from the figures and the
month's records: a sentence per figure, what falls short and why, what each target
still needs per month left; generated text refreshed where the worker left it as it was."""

import datetime as dt

from ..budget import budget_summary
from ..casework import CASE_TYPES
from ..clock import local_today
from ..documents import chinese_date
from ..indicator_terms import AREAS, OPERATOR_SIGNS, STATUS_LABELS
from ..indicators.document import unit_of
from ..indicators.engine import Measurement, measure_all
from ..money import format_yuan
from ..periods import month_end, period_key
from .reports import (
    Brief,
    FrozenFigure,
    GeneratedText,
    YearSummary,
    amount_text,
    organisation_name,
    plain_amount,
    share_text,
)


def figure_sentence(name: str, unit: str | None, month_value, achieved, target, op_label: str = "") -> str:
    """One data-driven sentence: 本月入户探访 80 次，累计 253 次，完成全年目标的 50.6%。
    A share is said as a share: 覆盖率累计达到 85%（目标 100%）."""
    if unit == "%":
        month = f"本月 {amount_text(month_value, unit)}，" if month_value is not None else ""
        return f"{name}{month}累计达到 {amount_text(achieved, unit)}（目标{op_label} {amount_text(target, unit)}）"
    return (f"本月{name} {amount_text(month_value or 0, unit)}，累计 {amount_text(achieved, unit)}，"
            f"完成全年目标的 {share_text(achieved, target)}")


def value_in_month(m: Measurement, month: str):
    for key, value in m.series:
        if key == month:  # a month with nothing to measure yet (no ended week) has no value
            return None if value is None else float(value)
    return None


def freeze(measurements: list[Measurement], month: str) -> list[FrozenFigure]:
    return [FrozenFigure(code=m.indicator.code, name=m.indicator.name, month_value=value_in_month(m, month),
                         achieved=float(m.achieved), target=float(m.target), status=m.status, unit=unit_of(m.indicator),
                         target_label=m.target_text())
            for m in measurements]


def case_outline(case) -> str:
    """A closed case said without who it was for: its kind, dates and the service given."""
    if case is None:
        return ""
    kind = dict(CASE_TYPES).get(case.case_type, "个案")
    return (f"{kind}，{chinese_date_of(case.opened_on)}接案，{chinese_date_of(case.closed_on)}结案，"
            f"共服务 {case.session_count or 0} 次，累计 {plain_amount(case.total_hours or 0)} 小时。")


def chinese_date_of(day) -> str:
    return chinese_date(day) if day else "—"


def _short_sentences(measurements: list[Measurement], settled: tuple = ("met", "on_track")) -> list[str]:
    """Each indicator whose status is not ``settled``: how far it is, and why (存在问题)."""
    lines = []
    for m in measurements:
        if m.status in settled:
            continue
        reasons = m.note or "；".join(reason for _, reason in m.near_misses[:3]) or "完成数量不足"
        lines.append(f"{m.indicator.name}：完成 {amount_text(m.achieved, unit_of(m.indicator))}，"
                     f"目标 {m.target_text()}（{m.status_label}）。{reasons.rstrip('。')}。")
    return lines


def _plan_sentences(measurements: list[Measurement], months_left: int) -> list[str]:
    """What each indicator not yet met still needs, per month left (下一步计划)."""
    plans = []
    for m in measurements:
        if m.status == "met":
            continue
        unit = unit_of(m.indicator)
        missing = m.target - m.achieved
        if unit == "%" or missing <= 0:
            plans.append(f"{m.indicator.name}：逐项补齐未计入的记录，达到目标 {m.target_text()}")
        else:
            plans.append(f"{m.indicator.name}：尚差 {amount_text(missing, unit)}，剩余 {months_left} 个月内"
                         f"平均每月须完成 {amount_text(missing / months_left, unit)}")
    return plans


def brief_sections(brief: Brief) -> dict[str, str]:
    """The generated text of each section of a brief, from its month's figures."""
    contract = brief.contract
    last_day = month_end(brief.month)
    measurements = measure_all(contract, min(last_day, local_today()))
    brief.figures = freeze(measurements, brief.month)
    sentences = [figure_sentence(f.name, f.unit, f.month_value, f.achieved, f.target) for f in brief.figures
                 if f.month_value]
    months_left = max(_months_between(last_day, contract.end_date.date()), 1)
    plans = _plan_sentences(measurements, months_left)
    return {"highlights": "\n".join(f"{sentence}。" for sentence in sentences[:8]),
            "typical_case": case_outline(brief.typical_source),
            "problems": "\n".join(_short_sentences(measurements)),
            "next_plan": "\n".join(f"{plan}。" for plan in plans) or "继续按服务方案常态化开展各项服务。"}


def fill_generated(doc, fresh: dict[str, str]) -> list[str]:
    """Put freshly generated text in each section the worker has not edited (blank, or as
    last generated); keep edited ones. Returns the labels of the sections kept."""
    old = {g.field: g.text or "" for g in doc.generated or []}
    labels = dict(doc.sections)
    kept = []
    for field, text in fresh.items():
        current = getattr(doc, field) or ""
        if not current.strip() or (field in old and current == old[field]):
            setattr(doc, field, text)
        elif current != text:
            kept.append(labels[field])
    doc.generated = [GeneratedText(field=field, text=text) for field, text in fresh.items()]
    return kept


_NUMERALS = "一二三四五六七八九十"


def summary_sections(summary: YearSummary, townships: list | None = None) -> dict[str, str]:
    """The generated text of each section of the summary, from ``measure_all`` as of its
    统计截至 date (what the indicator page shows), over ``townships`` (None: the district).
    Freezes the figures of its table on ``summary``."""
    contract = summary.contract
    today = summary.as_of.date() if summary.as_of else local_today()
    measurements = measure_all(contract, today, townships)
    month = current_month_key(today)
    summary.figures = freeze(measurements, month)
    organisation = organisation_name(summary.sender)

    who = f"由{contract.buyer}购买" + (f"、{organisation}承接" if organisation else "")
    basics = [f"{contract.name}{who}，服务期为{chinese_date_of(contract.start_date)}至{chinese_date_of(contract.end_date)}，"
              f"合同预算{contract.budget_text}，服务范围为{contract.scope or contract.station}。"
              f"项目设合同指标 {len(measurements)} 项，涵盖{'、'.join(label for _, label in AREAS)}等方面。"]
    if townships is None:
        money = budget_summary(contract)["totals"]
        spent = money["paid"] + money["committed"]
        basics.append(f"截至{chinese_date_of(today)}，已支付{format_yuan(money['paid'])}，"
                      f"已承诺{format_yuan(money['committed'])}，预算执行率 {share_text(spent, contract.budget_fen)}。")

    work = []
    for index, (area, label) in enumerate([a for a in AREAS if any(m.indicator.area == a[0] for m in measurements)]):
        sentences = [figure_sentence(m.indicator.name, unit_of(m.indicator), value_in_month(m, month), m.achieved,
                                     m.target, OPERATOR_SIGNS.get(m.indicator.op, ""))
                     for m in measurements if m.indicator.area == area]
        work += [f"（{_NUMERALS[index]}）{label}", "；".join(sentences) + "。"]

    counts = {key: sum(1 for m in measurements if m.status == key) for key in STATUS_LABELS}
    results = (f"{len(measurements)} 项合同指标中，已达标 {counts['met']} 项，进度正常 {counts['on_track']} 项，"
               f"滞后 {counts['lagging']} 项，存在风险 {counts['at_risk']} 项。各项指标完成情况如下表。")

    cases = [case_outline(summary.typical_source)] if summary.typical_source is not None else []
    cases += [f"{b.typical_case.strip()}（见第 {b.issue_number} 期工作简报）"
              for b in Brief.objects(contract=contract.pk, status="issued", voided=False).order_by("month")
              .only("typical_case", "issue_number") if (b.typical_case or "").strip()]
    short = _short_sentences(measurements, settled=("met",))
    months_left = max(_months_between(today, contract.end_date.date()), 1)
    plans = _plan_sentences(measurements, months_left)
    return {"basics": "\n".join(basics), "work": "\n".join(work), "results": results,
            "typical_case": "\n".join(cases) or (f"截至{chinese_date_of(today)}，已签发的工作简报中尚无典型案例，"
                                                  "可从已结案个案中选取，去标识后补充。"),
            "problems": "\n".join(short) or "全部指标均已达标。",
            "next_plan": "；".join(plans) + "。" if plans else "继续按服务方案常态化开展各项服务，巩固已达标指标。"}


def _months_between(today: dt.date, end: dt.date) -> int:
    """Months after ``today``'s up to ``end``'s (0 in the contract's last month)."""
    return (end.year - today.year) * 12 + end.month - today.month


def current_month_key(day: dt.date | None = None) -> str:
    return period_key("month", day or local_today())
