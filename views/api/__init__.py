"""The read-only data interface for the district bureau's systems (/api/v1/).

Authenticated by a token (``Authorization: Bearer <token>``, models.api_tokens) and by
nothing else: a signed-in browser's session is not accepted, so no CSRF token is
needed or checked here. Each token reads what its role may read, in its townships,
with ID numbers masked as a 管理者 sees them. Every call is one audit entry; a token
calling too often is refused (429); a missing, wrong or revoked token gets 401 and
nothing more; any method but GET gets 405.

The endpoints, their filters and their fields are declared once (``declarations``): the
handlers (``handlers``), the OpenAPI description (``openapi``), the Chinese explanation
page (``pages``) and the tests are built from them; ``calls`` answers every call."""

from . import handlers  # noqa: F401  (registers the endpoints on the blueprint)
from .calls import bp
from .declarations import FIGURES, RECORDS
from .openapi import data_endpoints, guide_words, openapi
from .pages import ApiGuideView, ApiTokenView

__all__ = ["FIGURES", "RECORDS", "ApiGuideView", "ApiTokenView", "bp", "data_endpoints", "guide_words", "openapi"]
