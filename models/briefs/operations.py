"""What is done with the reports: close a month (freeze its figures) and show what changed
since; draft a brief or the year-end summary from the data; regenerate it keeping what the
worker edited; issue it (签发) as a Word file kept unchanged. Every write goes through
models.services."""

import datetime as dt
import hashlib
import re

from ..activities import CommunityEvent
from ..clock import local_now, local_today
from ..contracts import Contract
from ..errors import DomainError, StaleRecordError
from ..indicators.engine import measure_all
from ..periods import month_end, period_label
from ..services import check_record, create_record, snapshot, update_record
from .reports import (
    DOCX_TYPE,
    Brief,
    IssuedReport,
    MonthClose,
    YearSummary,
    organisation_name,
    report_filename,
)
from .sections import brief_sections, fill_generated, freeze, summary_sections
from .writers import report_docx, summary_docx


def close_month(contract: Contract, month: str, actor, today: dt.date | None = None) -> MonthClose:
    """Freeze a month's figures, as of its last day (who and when are recorded)."""
    today = today or local_today()
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", month or ""):
        raise DomainError("请选择要关账的月份。", field="month")
    if MonthClose.objects(contract=contract.pk, month=month, voided=False).first() is not None:
        raise DomainError(f"{period_label('month', month, with_year=True)}已经关账，不能重复关账。", field="month")
    last_day = month_end(month)
    if last_day >= today:
        raise DomainError(f"{period_label('month', month, with_year=True)}尚未结束，月末之后才能关账。", field="month")
    if not contract.covers(last_day) and not contract.covers(last_day.replace(day=1)):
        raise DomainError(f"{period_label('month', month, with_year=True)}不在合同服务期内。", field="month")
    figures = freeze(measure_all(contract, last_day), month)
    return create_record(MonthClose(contract=contract, month=month, closed_at=local_now(),
                                    closed_by=getattr(actor, "display_name", None) or "系统", figures=figures), actor)


def month_differences(close: MonthClose) -> list[dict]:
    """What the same month shows now, against what was frozen: later edits to old records."""
    now = {f.code: f for f in freeze(measure_all(close.contract, month_end(close.month)), close.month)}
    changes = []
    for frozen in close.figures:
        current = now.get(frozen.code)
        if current is None:
            continue
        if (current.month_value or 0) != (frozen.month_value or 0) or current.achieved != frozen.achieved:
            changes.append({"name": frozen.name, "code": frozen.code, "frozen_month": frozen.month_value,
                            "current_month": current.month_value, "frozen_achieved": frozen.achieved,
                            "current_achieved": current.achieved,
                            "delta": round((current.achieved or 0) - (frozen.achieved or 0), 2)})
    return changes


def _photo_events(start: dt.datetime, end: dt.datetime, limit: int = 3) -> list:
    """The period's events with photos, most people served first (a draft's first choice)."""
    events = CommunityEvent.objects(event_date__gte=start, event_date__lte=end, voided=False) \
        .order_by("-people_served").limit(20)
    return [e for e in events if e.photos][:limit]


def draft_brief(contract: Contract, month: str, actor) -> Brief:
    """A draft brief for a month: its figures, the sections generated from them, the
    month's events with photos, the next issue number."""
    last_day = month_end(month)
    latest = Brief.objects(contract=contract.pk).order_by("-issue_number").only("issue_number").first()
    number = (latest.issue_number if latest else 0) + 1
    start = dt.datetime.combine(last_day.replace(day=1), dt.time())
    brief = Brief(contract=contract, month=month, issue_number=number, title=f"{contract.station}工作简报",
                  sender=organisation_name(contract.provider) or "", sent_on=dt.datetime.combine(local_today(), dt.time()),
                  photo_events=_photo_events(start, dt.datetime.combine(last_day, dt.time.max)))
    fill_generated(brief, brief_sections(brief))
    return create_record(brief, actor)


def _unchanged_draft(doc, expected_version: int, doing: str) -> dict:
    """The draft as it is stored, when it may be worked on: not voided, and not saved by
    someone else since ``expected_version``."""
    if doc.voided:
        raise DomainError(f"已作废的文稿不能{doing}。")
    if (doc.version or 1) != expected_version:
        raise StaleRecordError()
    return snapshot(doc)


def regenerate(doc, actor, expected_version: int) -> list[str]:
    """重新生成: refresh the figures and the generated text from today's data, keeping every
    section the worker edited. Returns the labels of the sections kept as edited."""
    before = _unchanged_draft(doc, expected_version, "重新生成")
    if doc.kind == "summary":
        doc.as_of = dt.datetime.combine(local_today(), dt.time())
    fresh = brief_sections(doc) if doc.kind == "brief" else summary_sections(doc)
    kept = fill_generated(doc, fresh)
    update_record(doc, before, expected_version, actor)
    return kept


def new_summary(contract: Contract, today: dt.date | None = None) -> YearSummary:
    """An unsaved summary of ``contract`` as of ``today``, its sections not yet generated."""
    today = today or local_today()
    return YearSummary(contract=contract, title=f"{contract.name}年度工作总结",
                       sender=organisation_name(contract.provider) or "",
                       sent_on=dt.datetime.combine(today, dt.time()), as_of=dt.datetime.combine(today, dt.time()))


def year_summary_docx(contract: Contract, today: dt.date, townships: list | None = None) -> bytes:
    """The year-end summary as the data say it today, measured over ``townships`` (a user's
    scope; None for the whole district): the generated text, not a saved draft."""
    summary = new_summary(contract, today)
    fill_generated(summary, summary_sections(summary, townships))
    return summary_docx(summary, townships)


def draft_summary(contract: Contract, actor) -> YearSummary:
    """The contract's year-end summary draft, generated from today's figures (one per contract)."""
    if YearSummary.objects(contract=contract.pk, voided=False).only("id").first() is not None:
        raise DomainError("本合同已有年度总结，请打开它修改或重新生成。")
    summary = new_summary(contract)
    fill_generated(summary, summary_sections(summary))
    return create_record(summary, actor)


def issue_report(doc, actor, expected_version: int) -> IssuedReport:
    """签发: check the draft as an issued one, write its Word file, keep the file as this
    version (the next one after any earlier), and mark the draft issued. Refused when
    someone saved the draft since ``expected_version`` or nothing changed since the last."""
    before = _unchanged_draft(doc, expected_version, "签发")
    doc.status = "issued"
    try:
        check_record(doc)
    except DomainError:
        doc.status = before.get("status")
        raise
    previous = IssuedReport.objects(**{doc.kind: doc.pk}, voided=False).order_by("-edition").first()
    if previous is not None and previous.source_version == doc.version:
        doc.status = before.get("status")
        raise DomainError(f"签发第 {previous.edition} 版之后文稿未修改，无需重新签发。")
    data = report_docx(doc)
    digest = hashlib.sha256(data).hexdigest()
    update_record(doc, before, expected_version, actor)
    latest = IssuedReport.objects(**{doc.kind: doc.pk}).order_by("-edition").only("edition").first()
    edition = (latest.edition if latest else 0) + 1
    report = IssuedReport(kind=doc.kind, contract=doc.contract, title=doc.title, edition=edition,
                          issue_number=getattr(doc, "issue_number", None), dated=doc.sent_on, issued_at=local_now(),
                          issued_by=getattr(actor, "display_name", None) or getattr(actor, "username", None) or "系统",
                          filename=report_filename(doc, edition), size=len(data), sha256=digest,
                          source_version=doc.version, **{doc.kind: doc})
    report.file.put(data, filename=report.filename, content_type=DOCX_TYPE)
    try:
        return create_record(report, actor)
    except DomainError:
        report.file.delete()
        raise


