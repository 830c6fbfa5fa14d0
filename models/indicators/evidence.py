"""The evidence of a measurement: the records that count, as a query, the rows a measure
read, computed entries, or cells read a page at a time; and a page of its records."""

from dataclasses import dataclass

from ..base import WHOLE_RESULT


@dataclass
class Evidence:
    """The records that count, as a query a page can list, page and link: one
    collection's records (``raw`` on ``document``, or the ``rows`` the measure read),
    or computed ``entries`` (a person in a period, records of several collections).
    ``part`` narrows it to one period cell of the page (a month, a week, an item).
    Each record is named by its document class: the web layer finds the page that shows it."""

    document: type | None
    raw: dict | None
    order_by: str = "-_id"
    date_field: str | None = None
    total: int | None = None  # how many records count, when the measure knows it (no count asked)
    rows: list | None = None  # those records as read, when the measure read them all (no list asked)
    part_field: str | None = "month"  # the stored field a period cell names (query and rows)
    part_raw: dict | None = None  # the query a cell narrows (default ``raw``)
    parts_of: object = None  # row -> the cells it counts in (rows), when not ``part_field``
    entries: list | None = None  # [{"label", "document", "id", "date", "parts"}]
    cell_entries: list | None = None  # entries of every cell, when more than those counted
    part_query: object = None  # key -> the raw query of that cell, when no stored field names it
    # Entries too many to hold (people in periods at a city's scale): ``reader(spans)`` reads the
    # entries of cells when a page asks, each span ``(cell, skip, limit or None)``, in order;
    # ``part_totals`` are the cells counted, in order, with their sizes, ``cell_totals`` every cell's.
    reader: object = None
    part_totals: dict | None = None
    cell_totals: dict | None = None

    def part(self, key: str) -> "Evidence":
        if self.reader is not None:
            return Evidence(self.document, None, part_field=None, reader=self.reader,
                            part_totals={key: (self.cell_totals or {}).get(key, 0)})
        if self.part_query is not None:
            return Evidence(self.document, self.part_query(key), self.order_by, self.date_field, part_field=None)
        if self.entries is not None:
            chosen = [e for e in (self.cell_entries if self.cell_entries is not None else self.entries)
                      if key in e.get("parts", ())]
            return Evidence(self.document, None, entries=chosen)
        if self.rows is not None:
            chosen = [row for row in self.rows if key in self._parts(row)]
            return Evidence(self.document, None, self.order_by, self.date_field, total=len(chosen), rows=chosen,
                            part_field=None)
        raw = {**(self.part_raw if self.part_raw is not None else self.raw), self.part_field: key}
        return Evidence(self.document, raw, self.order_by, self.date_field, part_field=None)

    def _parts(self, row) -> list:
        if self.parts_of is not None:
            return list(self.parts_of(row))
        value = row.get(self.part_field) if self.part_field else None
        return value if isinstance(value, list) else [value]

    def count(self) -> int:
        if self.reader is not None:
            return sum(self.part_totals.values())
        if self.entries is not None:
            return len(self.entries)
        if self.rows is not None:
            return len(self.rows)
        if self.total is None:
            self.total = self.document.objects(__raw__=self.raw).count()
        return self.total

    def page(self, offset: int, limit: int) -> list[dict]:
        """Entries ``offset`` to ``offset + limit`` in order: {"label", "document", "id", "date"}."""
        if self.reader is not None:  # only the cells the page spans are read, at once
            spans, wanted = [], limit
            for key, size in self.part_totals.items():
                if offset >= size:
                    offset -= size
                    continue
                spans.append((key, offset, min(wanted, size - offset)))
                wanted -= spans[-1][2]
                offset = 0
                if wanted <= 0:
                    break
            return self.reader(spans) if spans else []
        if self.entries is not None:
            return self.entries[offset:offset + limit]
        return [{"label": str(record), "document": self.document, "id": record.pk,
                 "date": getattr(record, self.date_field, None) if self.date_field else None}
                for record in evidence_records(self, limit, offset)]


    def all_entries(self):
        """Every entry in order, read a cell at a time (a report's sheet): entries or a reader."""
        if self.reader is not None:
            for key in self.part_totals:
                yield from self.reader([(key, 0, None)])
        else:
            yield from self.entries or ()


def entry(label: str, document: type | None, pk, day=None, parts=()) -> dict:
    return {"label": label, "document": document, "id": pk, "date": day, "parts": set(parts)}


def evidence_records(evidence: Evidence, limit: int, offset: int = 0) -> list:
    """Records of the evidence in its order (then by id), as documents: from the rows the
    measure read when it has them, else one query for the page."""
    field_name = evidence.order_by.lstrip("-")
    descending = evidence.order_by.startswith("-")
    if evidence.rows is None:
        query = evidence.document.objects(__raw__=evidence.raw).order_by(
            evidence.order_by, f"{'-' if descending else ''}id")
        return list(query.skip(offset).limit(limit).batch_size(WHOLE_RESULT))
    ordered = sorted(evidence.rows, key=lambda row: (row.get(field_name) is not None, row.get(field_name) or 0,
                                                     row.get("_id")), reverse=descending)
    return [evidence.document._from_son(row) for row in ordered[offset:offset + limit]]
