"""Load reference data from the JSON files beside this module.

Idempotent: a record that exists (by its code) is left as it is, so an
admin's edits in the app are never overwritten; only missing rows are added."""

import datetime as dt
import json
from pathlib import Path

from models.budget import BudgetLine
from models.contracts import Contract
from models.indicators import Indicator
from models.money import parse_yuan
from models.reference import Community, PersonCategory, ThemeTag, Township
from models.rules import RULE_SETS, SEED_FILES, RuleSet
from models.services import create_record

SEED_DIR = Path(__file__).resolve().parent


def read_seed(name: str) -> dict:
    with open(SEED_DIR / name, encoding="utf-8") as handle:
        return json.load(handle)


def load_townships() -> int:
    data = read_seed("townships.json")
    added = 0
    existing = {t.code: t for t in Township.objects.only("code")}
    for row in data["townships"]:
        if row["code"] not in existing:
            existing[row["code"]] = create_record(Township(**row), None)
            added += 1
    known_communities = {c.code for c in Community.objects.only("code") if c.code}
    for row in data.get("communities", []):
        if row["code"] in known_communities:
            continue
        township = existing.get(row["township"]) or Township.objects(code=row["township"]).first()
        create_record(Community(township=township, code=row["code"], name=row["name"], kind=row["kind"]), None)
        added += 1
    return added


def load_categories() -> int:
    data = read_seed("categories.json")
    known = {c.code for c in PersonCategory.objects.only("code")}
    added = 0
    for order, row in enumerate(data["categories"], start=1):
        if row["code"] in known:
            continue
        create_record(PersonCategory(sort_order=order, **row), None)
        added += 1
    return added


def load_themes() -> int:
    known = {t.code for t in ThemeTag.objects.only("code")}
    added = 0
    for order, row in enumerate(read_seed("themes.json")["themes"], start=1):
        if row["code"] not in known:
            create_record(ThemeTag(sort_order=order, **row), None)
            added += 1
    return added


def load_rule_sets() -> int:
    known = {r.key for r in RuleSet.objects.only("key")}
    added = 0
    for key in RULE_SETS:
        if key not in known:
            content = (SEED_DIR / SEED_FILES[key]).read_text(encoding="utf-8")
            create_record(RuleSet(key=key, content=content, note="初始规则（系统预置）"), None)
            added += 1
    return added


def load_contract() -> int:
    """The default contract and its budget lines (by name; edits are kept)."""
    data = read_seed("contract.json")
    fields = dict(data["contract"])
    added = 0
    contract = Contract.objects(name=fields["name"]).first()
    if contract is None:
        budget = parse_yuan(fields.pop("budget_yuan"))
        dates = {k: dt.datetime.fromisoformat(fields.pop(k)) for k in ("start_date", "end_date")}
        contract = create_record(Contract(budget_fen=budget, **dates, **fields), None)
        added += 1
    known = {line.name for line in BudgetLine.objects(contract=contract.pk).only("name")}
    for order, row in enumerate(data["budget_lines"], start=1):
        if row["name"] not in known:
            create_record(BudgetLine(contract=contract, sort_order=order, planned_fen=0, **row), None)
            added += 1
    return added


def load_indicators() -> int:
    """The contract's indicators (by code; an admin's edits are kept)."""
    data = read_seed("indicators.json")
    contract = Contract.objects(name=data["contract"]).first()
    if contract is None:
        return 0
    known = {i.code for i in Indicator.objects(contract=contract.pk).only("code")}
    added = 0
    for order, row in enumerate(data["indicators"], start=1):
        if row["code"] in known:
            continue
        row = dict(row)
        params = json.dumps(row.pop("params", {}), ensure_ascii=False)
        create_record(Indicator(contract=contract, sort_order=order, params=params, **row), None)
        added += 1
    return added


def load_reference_data() -> dict[str, int]:
    """Load every reference file; returns how many rows each added."""
    return {"townships": load_townships(), "categories": load_categories(), "rules": load_rule_sets(),
            "themes": load_themes(), "contract": load_contract(), "indicators": load_indicators()}
