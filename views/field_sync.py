"""Offline field capture (models.field_sync): the installable capture page a worker's phone keeps
for use without a connection, the data it keeps (GET /field/data), and the synchronisation of
what was recorded offline (POST /field/sync). The answers of both are JSON, with Chinese messages;
a session that is gone is answered 401 (the phone keeps its queue and resumes after login)."""

from flask import current_app, jsonify, request, send_from_directory
from flask_admin import expose
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from models.errors import DomainError
from models.field_sync import KINDS, sync_items
from models.phone_data import phone_data

from .base import SecureView, user_townships
from .drafts import draft_owner
from .forms import SecureForm, csrf_failed

#: The answer to a request whose session is gone (logged out, expired, account disabled or password changed).
SIGNED_OUT = "登录已过期或账户状态已变化，请重新登录。本机待同步的记录不会丢失，登录后自动继续同步。"
REFUSED = "您的账户没有离线采集的权限。"
#: The JSON routes of the page (the others are pages and files).
JSON_ROUTES = ("data", "sync")


def _json_route() -> bool:
    return (request.endpoint or "").rpartition(".")[2] in JSON_ROUTES


class FieldView(SecureView):
    """离线采集: home visits, street patrols and group sessions recorded on a phone without signal."""

    area = "records"
    action_needed = "create"

    def inaccessible_callback(self, name, **kwargs):
        if _json_route():
            signed_in = current_user.is_authenticated
            return jsonify({"error": REFUSED if signed_in else SIGNED_OUT, "signed_out": not signed_in}), (
                403 if signed_in else 401)
        return super().inaccessible_callback(name, **kwargs)

    @expose("/")
    def index(self):
        token = SecureForm().csrf_token.current_token
        return self.render("field/index.html", csrf=token, owner=draft_owner(), kinds=KINDS,
                           days=current_app.config["OFFLINE_DATA_DAYS"])

    @expose("/data")
    def data(self):
        user = current_user._get_current_object()
        cfg = current_app.config
        found = phone_data(user, user_townships(), cfg["OFFLINE_DATA_DAYS"], cfg["OFFLINE_RECENT_DAYS"])
        found.update(owner=draft_owner(), csrf=SecureForm().csrf_token.current_token, worker=user.display_name)
        response = jsonify(found)
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/sync", methods=("POST",))
    def sync(self):
        form = SecureForm(MultiDict({"csrf_token": request.headers.get("X-CSRFToken", "")}))
        if not form.validate() and csrf_failed(form):
            return jsonify({"error": "安全校验已过期，正在重新获取后再同步。", "csrf": True}), 400
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify({"error": "同步数据格式不正确。"}), 400
        user = current_user._get_current_object()
        try:
            results = sync_items(body.get("items"), user, user_townships(), current_app.config["MAX_CONTENT_LENGTH"])
        except DomainError as exc:
            return jsonify({"error": exc.message}), 400
        return jsonify({"results": results})


def service_worker():
    """The service worker of the field page, served from the page's own path (its scope)."""
    response = send_from_directory(current_app.static_folder, "js/sw.js", mimetype="application/javascript",
                                   max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


def register(app) -> None:
    app.add_url_rule("/field/sw.js", "field_service_worker", service_worker)
