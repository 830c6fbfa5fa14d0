"""A model view's exports: CSV with a UTF-8 BOM, an Excel workbook in the house
format (``models.spreadsheets``), a Chinese file name, reading only the fields
the columns need, and one audit entry per export (``Exports``)."""

import csv
import datetime as dt
import io
import re
from urllib.parse import quote

import mongoengine
from flask import Response, send_file, stream_with_context
from flask_admin import expose
from flask_login import current_user

from models.clock import local_now, local_today
from models.contracts import current_contract
from models.loading import collection_paused
from models.money import FenField, yuan_decimal
from models.sensitivity import sensitivity
from models.spreadsheets import (
    DATE,
    DATETIME,
    INT,
    NUMBER,
    TEXT,
    YUAN,
    Column,
    Sheet,
    TitleBlock,
    csv_text,
    write_workbook,
)

from .scoping import audit


class ExportFormat(str):
    """An export format: the value names it in the address ("xlsx"); the export menu,
    which writes a format in capitals (Flask-Admin: ``export_type|upper``), names it as
    people know it (Excel)."""

    def __new__(cls, value: str, caption: str):
        made = super().__new__(cls, value)
        made.caption = caption
        return made

    def upper(self):
        return self.caption


EXCEL = ExportFormat("xlsx", "Excel")


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def send_xlsx(path, filename: str):
    """Send an .xlsx file written to disk, and remove it once sent."""
    response = send_file(path, as_attachment=True, download_name=filename, mimetype=XLSX_MIMETYPE)
    response.call_on_close(lambda: path.unlink(missing_ok=True))
    return response


def content_disposition(filename: str) -> str:
    """A Content-Disposition header that keeps a Chinese file name (RFC 5987)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


class Exports:
    """CSV and Excel exports of a model view's list."""


    # Export columns that are not fields, or that have a formatter, with the fields
    # their value is made from.
    export_column_fields: dict = {}

    def export_only_fields(self) -> tuple[str, ...]:
        """The fields an export reads: those of its columns (a projection, so a large export
        decodes only what it writes); empty, reading everything, when a column is computed
        from fields the view does not name."""
        names: list[str] = []
        formatted = self.column_formatters_export or {}
        for key, _label in self.export_columns():
            if key in self.export_column_fields:
                names.extend(self.export_column_fields[key])
            elif key in formatted and not getattr(formatted[key], "reads_its_column_only", False):
                return ()  # a formatter may read any field of the record
            elif key in self.model._fields:
                names.append(key)
            elif isinstance(key, str) and key.startswith("cf:") and "custom" in self.model._fields:
                names.append("custom")
            else:
                return ()
        return tuple(dict.fromkeys(names))


    def get_export_name(self, export_type="csv"):
        stamp = local_now().strftime("%Y%m%d_%H%M")
        return f"{self.name}_{stamp}.{export_type}"

    def get_export_value(self, model, name):
        value = self.visible(model, name, super().get_export_value(model, name))
        return "" if value is None else value

    @expose("/export/<export_type>/")
    def export(self, export_type):
        if export_type == "xlsx" and self.can_export and export_type in self.export_types:
            with collection_paused():  # thousands of records and cells, all alive until the file is written
                _, data = self._export_data()
                return self.xlsx_response(data)
        return super().export(export_type)

    def export_columns(self) -> list[tuple[str, str]]:
        """(name, label) of the columns an export writes."""
        return list(self._export_columns)

    def export_kind(self, name: str) -> str:
        """How a column is written in a workbook: money, dates and numbers as such."""
        field = self.model._fields.get(name) if isinstance(name, str) else None
        if field is None or sensitivity(field) is not None or getattr(field, "choices", None):
            return TEXT
        if isinstance(field, FenField):
            return YUAN
        if isinstance(field, mongoengine.DateTimeField):
            return DATE if name in self.date_fields else DATETIME
        if isinstance(field, mongoengine.IntField):
            return INT
        if isinstance(field, mongoengine.FloatField):
            return NUMBER
        return TEXT

    def export_cell(self, model, name: str, kind: str):
        """A column's value for a workbook: the number or date itself, else the exported text."""
        if kind == YUAN:
            return yuan_decimal(getattr(model, name, None))
        if kind != TEXT:
            raw = getattr(model, name, None)
            if isinstance(raw, (int, float, dt.datetime)) and not isinstance(raw, bool):
                return raw
        value = self.get_export_value(model, name)
        return value if isinstance(value, (int, float, dt.datetime)) and kind != TEXT else str(value)

    def xlsx_response(self, records):
        """The records as a workbook (models.spreadsheets.write_workbook: title block, 序号, formats, print set-up)."""
        columns = self.export_columns()
        kinds = [self.export_kind(name) for name, _ in columns]
        written = 0

        def rows():
            nonlocal written
            for record in records:
                written += 1
                yield [self.export_cell(record, name, kind) for (name, _), kind in zip(columns, kinds, strict=True)]

        contract = current_contract()
        block = TitleBlock.for_contract(self.name, contract, made_by=getattr(current_user, "display_name", ""),
                                        as_of=local_today())
        path = write_workbook([Sheet(self.name, [Column(label, kind) for (_, label), kind in zip(columns, kinds,
                                                                                               strict=True)], rows())],
                              block)
        audit("export", collection=self.model._get_collection_name(), detail=f"导出“{self.name}” {written} 条（Excel）")
        return send_xlsx(path, self.get_export_name("xlsx"))

    def _export_csv(self, return_url):
        count, data = self._export_data()
        columns = self._export_columns

        def rows():
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            buffer.write("\ufeff")
            writer.writerow([csv_text(c[1]) for c in columns])
            yield buffer.getvalue()
            for row in data:
                buffer.seek(0)
                buffer.truncate()
                # text that a spreadsheet program would run as a formula is written as text
                writer.writerow([csv_text(self.get_export_value(row, c[0])) for c in columns])
                yield buffer.getvalue()

        filename = self.get_export_name("csv")
        # the entry is written before the rows stream; on a scanning server the count is not asked
        audit("export", collection=self.model._get_collection_name(),
              detail=f"导出“{self.name}”" + (f" {count} 条" if count is not None else "（CSV）"))
        return Response(
            stream_with_context(rows()),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": content_disposition(filename)},
        )
