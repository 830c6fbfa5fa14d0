"""The station's reports built from the contract indicators: the month close (frozen
figures and later differences), the monthly work brief (工作简报) and the year-end
summary (年度工作总结), drafted from the figures and the month's records, edited, kept
issue by issue, written as Word documents.

- ``reports``: the documents (MonthClose, Brief, YearSummary, IssuedReport) and what they must hold;
- ``sections``: the generated text of each section;
- ``writers``: the Word documents and the indicator workbook;
- ``operations``: close, draft, regenerate, issue."""

from ..indicators.document import unit_of
from .operations import (
    close_month,
    draft_brief,
    draft_summary,
    issue_report,
    month_differences,
    new_summary,
    regenerate,
    year_summary_docx,
)
from .reports import (
    BRIEF_STATES,
    DOCX_TYPE,
    ISSUED_FILES,
    REPORT_KINDS,
    SUMMARY_SECTIONS,
    Brief,
    FrozenFigure,
    GeneratedText,
    IssuedReport,
    MonthClose,
    YearSummary,
    amount_text,
    check_report_rules,
    issued_versions,
    organisation_name,
    report_filename,
    share_text,
)
from .sections import (
    brief_sections,
    case_outline,
    current_month_key,
    figure_sentence,
    fill_generated,
    freeze,
    summary_sections,
)
from .writers import brief_docx, indicator_workbook, report_docx, summary_docx

__all__ = ["BRIEF_STATES", "DOCX_TYPE", "ISSUED_FILES", "REPORT_KINDS", "SUMMARY_SECTIONS", "Brief", "FrozenFigure",
           "GeneratedText", "IssuedReport", "MonthClose", "YearSummary", "amount_text", "brief_docx", "brief_sections",
           "case_outline", "check_report_rules", "close_month", "current_month_key", "draft_brief", "draft_summary",
           "figure_sentence", "fill_generated", "freeze", "indicator_workbook", "issue_report", "issued_versions",
           "month_differences", "new_summary", "organisation_name", "regenerate", "report_docx",
           "report_filename", "share_text", "summary_docx", "summary_sections", "unit_of", "year_summary_docx"]
