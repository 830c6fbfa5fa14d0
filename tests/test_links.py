"""A record's link, from what the domain names (a document class or a collection name),
leads to the details page of a view showing that document. Generated from the views the
app registers."""

from bson import ObjectId

from views.links import details_url


def _model_views(app):
    return [v for v in app.extensions["admin"][0]._views if getattr(v, "model", None) is not None]


def test_a_document_class_links_to_the_first_view_of_its_own_class(app):
    pk = ObjectId()
    with app.test_request_context():
        views = _model_views(app)
        for view in views:
            url = details_url(view.model, pk)
            shown_by = next(v for v in views if v.model is view.model)
            assert url == f"{shown_by.url}/details/?id={pk}", view.endpoint


def test_a_collection_name_links_to_a_view_of_that_collection(app):
    pk = ObjectId()
    with app.test_request_context():
        views = _model_views(app)
        for name in {v.model._get_collection_name() for v in views}:
            url = details_url(name, pk)
            assert any(url == f"{v.url}/details/?id={pk}" and v.model._get_collection_name() == name
                       for v in views), name
        assert details_url("archives", pk) == f"/archive/details/?id={pk}"  # the whole list, not one kind's
        assert details_url(None, pk) is None and details_url("archives", None) is None
