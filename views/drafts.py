"""What the browser's draft keeper (static/js/drafts.js) is told by the server:
whose drafts these are, and which forms were just saved (their drafts are done)."""

import hashlib
import hmac

from flask import current_app, request, session
from flask_login import current_user

SAVED_FORMS = "saved_forms"
#: At most this many saved forms are remembered until the next page is shown.
SAVED_FORMS_KEPT = 5


def draft_owner() -> str:
    """A token for the signed-in account: drafts are kept under it, and another
    account's drafts are removed. Not the account's id (it names nobody)."""
    if not current_user.is_authenticated:
        return ""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"draft:{current_user.pk}".encode(), hashlib.sha256).hexdigest()[:20]


def note_saved_form() -> None:
    """The form of this request was saved: the next page tells the browser to drop its draft."""
    saved = list(session.get(SAVED_FORMS) or [])[-(SAVED_FORMS_KEPT - 1):]
    session[SAVED_FORMS] = [*saved, request.full_path]


def saved_forms() -> list[str]:
    """The forms saved since the last page was shown (read once)."""
    if SAVED_FORMS not in session:
        return []
    return list(session.pop(SAVED_FORMS) or [])
