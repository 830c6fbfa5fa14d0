"""Every filter and the default sort of every list page is backed by an index
(the first key of an index, after the inheritance key), so a filtered list
does not scan the collection on a server that uses indexes."""

from flask_admin.contrib.mongoengine import ModelView


def _leading_keys(model) -> set:
    keys = {"_id"}
    for spec in model._meta.get("index_specs", []):
        fields = [name for name, _ in spec["fields"] if name != "_cls"]
        if fields:
            keys.add(fields[0])
    return keys


def test_every_filter_and_default_sort_is_indexed(app):
    admin = app.extensions["admin"][0]
    missing = []
    for view in admin._views:
        if not isinstance(view, ModelView):
            continue
        keys = _leading_keys(view.model)
        names = [f if isinstance(f, str) else f.name for f in view.column_filters or ()]
        sort = view.column_default_sort
        if sort:
            names.append(sort[0] if isinstance(sort, tuple) else sort)
        for name in names:
            field = view.model._fields.get(name)
            if (field.db_field if field else name) not in keys:
                missing.append(f"{view.endpoint}.{name}")
    assert missing == []
