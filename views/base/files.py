"""A model view's stored files (GridFS), served only when they belong to a record
the user may see, and audited when opened (``Files``)."""

import mimetypes

import gridfs
from bson import ObjectId
from bson.errors import InvalidId
from flask import abort, request, send_file
from flask_admin import expose
from mongoengine.connection import get_db

from models.files import base_name, image_type_of

from .scoping import audit, scope_query


class Files:
    """The access-checked download of a record's stored files."""

    @expose("/api/file/")
    def api_file_view(self):
        """Serve a GridFS file only when it belongs to a record the user may see."""
        if not self._may("details"):
            abort(403)
        try:
            file_id = ObjectId(request.args.get("id", ""))
        except (InvalidId, TypeError):
            abort(404)
        owner = self.file_owner(file_id)
        if owner is None:
            abort(404)
        field = self.file_field_of(owner, file_id)
        fs = gridfs.GridFS(get_db(), getattr(field, "collection_name", "fs"))
        try:
            data = fs.get(file_id)
        except gridfs.NoFile:
            abort(404)
        if getattr(field, "audited", True) is not False:  # a thumbnail shown in a list is no download
            audit("download", collection=self.model._get_collection_name(), record_id=owner.pk,
                  record_label=str(owner), detail=data.filename)
        # Shown in the browser only when its content is a picture; anything else is downloaded.
        image_type = image_type_of(data.read(16))
        data.seek(0)
        mimetype = (image_type or getattr(owner, "content_type", None) or mimetypes.guess_type(data.filename or "")[0]
                    or "application/octet-stream")
        return send_file(data, mimetype=mimetype, download_name=base_name(data.filename),
                         as_attachment=image_type is None)

    def file_owner(self, file_id):
        if not self.file_fields:
            return None
        conditions = [{path: file_id} for path in self.file_fields]
        query = scope_query(self.model.objects, self.model)
        return query.filter(__raw__={"$or": conditions}).first()

    def file_field_of(self, owner, file_id):
        """The file field that holds ``file_id`` on ``owner`` (following embedded paths
        such as "photos.file"): its GridFS bucket, and whether opening it is audited."""
        for path in self.file_fields:
            field, values = _field_at(type(owner), path), _values_at(owner, path)
            if field is not None and any(getattr(v, "grid_id", None) == file_id for v in values):
                return field
        abort(404)


def _field_at(document, path: str):
    """The field at a dotted path ("photos.file") of a document class."""
    field = None
    for part in path.split("."):
        field = document._fields.get(part) if document is not None else None
        if field is None:
            return None
        inner = getattr(field, "field", None)
        document = getattr(inner, "document_type", None) or getattr(field, "document_type", None)
    return field


def _values_at(record, path: str) -> list:
    """The values at a dotted path of a record, through embedded lists."""
    values = [record]
    for part in path.split("."):
        found = []
        for value in values:
            item = getattr(value, part, None)
            found.extend(item if isinstance(item, list) else [item])
        values = [v for v in found if v is not None]
    return values
