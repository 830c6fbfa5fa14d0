"""Links to a record's page from what the domain names: models/ carry a document class
(or its collection name) and which of its pages (details, edit, a prefilled create form),
never a view endpoint; the page is that of the admin view registered for the document. Where several views show one document, the
first registered (the menu's own) is chosen, or the one CHOSEN names for a collection."""

from flask import current_app, url_for

#: The view a collection name leads to, where several views show its documents.
CHOSEN = {"archives": "archive"}


def details_url(document, pk) -> str | None:
    """The URL of the page showing record ``pk`` of ``document`` (a document class or a
    collection name); None when there is no record or no view shows it."""
    return page_url(document, "details", id=pk) if pk is not None else None


def page_url(document, page: str, **args) -> str | None:
    """The URL of the ``page`` ("details", "edit", "create" or a view's own, such as "risk")
    of the view showing ``document``, with ``args``; None when no view shows it."""
    endpoint = _endpoint(document) if document is not None else None
    return url_for(f"{endpoint}.{page}_view", **args) if endpoint else None


def _endpoint(document) -> str | None:
    views = [view for admin in current_app.extensions.get("admin", ()) for view in admin._views
             if getattr(view, "model", None) is not None]
    if not isinstance(document, str):
        exact = next((view.endpoint for view in views if view.model is document), None)
        if exact is not None:
            return exact
        document = document._get_collection_name()
    if document in CHOSEN:
        return CHOSEN[document]
    return next((view.endpoint for view in views if view.model._get_collection_name() == document), None)
