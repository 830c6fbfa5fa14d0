"""A list narrowed to one person (``?person=<archive id>``, linked from the person's file),
saying so above the list."""

from bson import ObjectId
from flask import request, url_for

from models.archives import Archive

from .base import scope_query


class OnePersonList:
    """Mixed into a model view: ``person_field`` holds the person, ``person_notice`` (with
    ``{name}``) tells the user what the list shows."""

    person_field = "people"
    person_notice = "只显示“{name}”的记录。"

    def get_query(self):
        query = super().get_query()
        person = request.args.get("person", "")
        if ObjectId.is_valid(person):
            query = query.filter(**{self.person_field: ObjectId(person)})
        return query

    def list_notice(self):
        person = request.args.get("person", "")
        if not ObjectId.is_valid(person):
            return super().list_notice()
        archive = scope_query(Archive.objects(pk=ObjectId(person)), Archive).only("name").first()
        name = archive.name if archive is not None else "所选对象"
        return self.person_notice.format(name=name), url_for(".index_view")
