"""What saving a rule set, a person category, a theme or an indicator checks and sets off
beyond its own fields: the lower modules (models.rules, models.reference,
models.indicators.document) keep a list of checks and reactions, and this module, which
knows the modules above them, fills it:

- a rule set: its street-rescue calls name choices the patrol form offers (models.patrols),
  the codes it names exist and the codes others name in it stay (models.rule_refs); after an
  admin's edit, what is stored from it is recomputed (models.recompute_jobs: in the request, or
  in the background when long);
- a category or a theme: a code something refers to is not renamed or voided;
- an indicator: the visit policies, categories and themes its parameters name exist.

The app imports it with its views (views.registry), so every save through the app runs them."""

from . import reference, rules
from .indicators import document as indicator_document
from .patrols import check_rescue_calls
from .recompute_jobs import after_rule_edit
from .reference import PersonCategory
from .rule_refs import CATEGORY, THEME, check_code_change, check_indicator, check_rule_set


def _check_code(record) -> None:
    check_code_change(CATEGORY if isinstance(record, PersonCategory) else THEME, record)


def register() -> None:
    """Fill the lists once (a second call adds nothing)."""
    for hooks, function in ((rules.CONTENT_CHECKS, check_rescue_calls), (rules.CONTENT_CHECKS, check_rule_set),
                            (rules.AFTER_EDIT, after_rule_edit), (reference.CODE_CHECKS, _check_code),
                            (indicator_document.SAVE_CHECKS, check_indicator)):
        if function not in hooks:
            hooks.append(function)


register()
