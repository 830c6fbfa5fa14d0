"""Excel import of the bureau's lists into 一人一档.

A template per kind (headers, an example row, drop-down lists); a preview that
checks every row and says what will happen; an import that runs only when the
whole file is clean, matches existing archives (by ID number, else by name,
birth date and township) so that importing the same file twice creates nothing
new, and keeps a log with the file.

``columns`` holds the columns of each kind, ``template`` the template, ``reading`` the
reading of a workbook, ``checking`` the preview and ``writing`` the import; their public
names are all here."""

from .checking import preview_import
from .columns import (
    COMMON,
    HOUSEHOLD_HEAD,
    HOUSEHOLD_RELATION,
    HOUSEHOLD_VALUES,
    KIND_COLUMNS,
    KIND_NAMES,
    MAX_ROWS,
    Column,
    columns_for,
)
from .reading import Preview, RowResult, _Lookups, read_workbook
from .template import build_template
from .writing import ImportBatch, apply_import, start_batch

__all__ = [
    "COMMON", "HOUSEHOLD_HEAD", "HOUSEHOLD_RELATION", "HOUSEHOLD_VALUES", "KIND_COLUMNS", "KIND_NAMES",
    "MAX_ROWS", "Column", "ImportBatch", "Preview", "RowResult", "_Lookups", "apply_import",
    "build_template", "columns_for", "preview_import", "read_workbook", "start_batch",
]
