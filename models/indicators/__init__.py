"""Contract indicators and the engine that measures them from the records.

- ``document``: the Indicator document (seeded from ``seeds/indicators.json``, edited by an admin);
- ``engine``: Scope, Measurement, the ``@measures`` registry, ``measure`` / ``measure_all``;
- ``evidence``: Evidence, the records that count and a page of them;
- one module of measures per area, each importing the records it counts: ``archive_measures``
  (archives, visits, patrols), ``service_measures`` (trainings, cases, groups, events, publicity,
  theme checklists), ``affairs_measures`` (volunteers and the other work), ``report_measures``
  (briefs and the year-end summary).

Importing this package registers every measure; the names below are its public ones."""

from ..indicator_terms import AREAS, KINDS, OPERATORS, PERCENT_KINDS, PERIODS, STATUS_LABELS
from ..periods import month_end
from . import affairs_measures, archive_measures, report_measures, service_measures  # noqa: F401  (register the measures)
from .document import Indicator, indicators_for, unit_of
from .engine import (
    DEFAULT_LAGGING_SHARE,
    MEASURES,
    Measurement,
    Scope,
    measure,
    measure_all,
    measures,
    plain_number,
    whole,
)
from .evidence import Evidence, entry, evidence_records

__all__ = ["AREAS", "DEFAULT_LAGGING_SHARE", "KINDS", "MEASURES", "OPERATORS", "PERCENT_KINDS",
           "PERIODS", "STATUS_LABELS", "Evidence", "Indicator", "Measurement", "Scope", "entry", "evidence_records",
           "indicators_for", "measure", "measure_all", "measures", "month_end", "plain_number", "unit_of", "whole"]
