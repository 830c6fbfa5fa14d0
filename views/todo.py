"""The to-do centre (待办): one list of what needs doing, from models.todo, and its count
for the navigation bar. A coordinator also sees the team's overdue items by worker."""

from bson import ObjectId
from flask import jsonify, request, url_for
from flask_admin import expose
from flask_login import current_user

from models.todo import TO_DO_KINDS, todo_list
from models.users import User

from .base import SecureView, user_townships
from .links import page_url


def _worker_arg():
    """``?worker=<user id>`` (or ``none`` for the unassigned) narrows a coordinator's list."""
    value = request.args.get("worker", "")
    if value == "none":
        return "none"
    return ObjectId(value) if ObjectId.is_valid(value) else None


class TodoView(SecureView):
    area = "todo"

    def _list(self):
        user = current_user._get_current_object()
        worker = _worker_arg() if user.role != "staff" else None
        return todo_list(user, user_townships(), worker), worker

    @expose("/")
    def index(self):
        todo, worker = self._list()
        groups = [(kind, [(item, page_url(item.document, item.page, **item.args, url=url_for(".index")))
                          for item in items], truncated) for kind, items, truncated in todo.groups]
        team = []
        if current_user.role != "staff" and worker is None:
            table = todo.overdue_by_worker()
            names = {u.pk: u.display_name for u in User.objects(pk__in=[w for w in table if w]).only("display_name")}
            for worker_id, counts in sorted(table.items(), key=lambda r: (-sum(r[1].values()), str(r[0]))):
                team.append({"name": names.get(worker_id, "未分派社工") if worker_id else "未分派社工",
                             "url": url_for(".index", worker=str(worker_id) if worker_id else "none"),
                             "counts": counts, "total": sum(counts.values())})
        chosen = None
        if isinstance(worker, ObjectId):
            found = User.objects(pk=worker).only("display_name").first()
            chosen = found.display_name if found else "所选社工"
        elif worker == "none":
            chosen = "未分派社工"
        return self.render("admin/todo.html", groups=groups, count=todo.count, team=team, kinds=TO_DO_KINDS,
                           chosen=chosen, limit=todo.limit)

    @expose("/count")
    def count(self):
        """The number of items the page lists (for the navigation bar)."""
        todo, _ = self._list()
        return jsonify({"count": todo.count, "overdue": sum(1 for item in todo.items if item.overdue)})
