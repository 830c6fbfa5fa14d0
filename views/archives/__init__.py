"""一人一档 views: one grid for all archives and one per kind, the whole file
on one page, assessments, bulk actions, Excel import and export, print.

``listing`` holds the lists' filters and formatters, ``archive_view`` the base of every
archive view, ``saved_filters`` the named filters, ``file_page`` the person's file,
``bulk`` the grid of all archives and its bulk operations, ``kinds`` the views of each kind."""

from .archive_view import ArchiveBaseView
from .bulk import AllArchivesView, BulkForm, apply_bulk
from .file_page import KIND_ENDPOINTS, archive_sections, timeline
from .kinds import ChildArchiveView, ElderlyArchiveView, HomelessArchiveView

__all__ = [
    "KIND_ENDPOINTS", "AllArchivesView", "ArchiveBaseView", "BulkForm", "ChildArchiveView",
    "ElderlyArchiveView", "HomelessArchiveView", "apply_bulk", "archive_sections", "timeline",
]
