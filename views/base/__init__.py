"""The one secure base for every admin view: a package of one concern a module.

- ``scoping``: the current user's townships, role and records; ``audit``.
- ``access``: ``SecureView`` (custom pages) and the model view's permission checks.
- ``admin_fixes``: every fix Flask-Admin's mongoengine backend needs (filters, the
  ajax loader, checked form fields, the list, search and filter overrides).
- ``formatters``: how values are shown in lists, on records' pages and in exports.
- ``uploads``, ``exports``, ``files``, ``voiding``: the model view's uploads, CSV and
  Excel exports, access-checked GridFS downloads, and void/restore.
- ``model_view``: ``SecureModelView``, composed of the above.

What the rest of the code imports from ``views.base`` is named here."""

from flask_admin.contrib.mongoengine import filters as me_filters

from .access import SecureView
from .exports import EXCEL, XLSX_MIMETYPE, content_disposition, send_xlsx
from .files import _values_at
from .formatters import people, reads_its_column_only
from .model_view import SecureModelView
from .scoping import (
    audit,
    choosable,
    current_role,
    in_scope,
    portable_regex,
    scope_query,
    user_townships,
    year_arg,
)
from .uploads import PendingFileInput, PendingFileView

__all__ = [
    "EXCEL", "XLSX_MIMETYPE", "PendingFileInput", "PendingFileView", "SecureModelView", "SecureView", "_values_at",
    "audit", "choosable", "content_disposition", "current_role", "in_scope", "me_filters", "people",
    "portable_regex", "reads_its_column_only", "scope_query", "send_xlsx", "user_townships", "year_arg",
]
