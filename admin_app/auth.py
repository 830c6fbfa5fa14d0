"""Login, logout and one's own password: Chinese pages, lockout after repeated
failures, every attempt in the audit trail."""

from urllib.parse import urlparse

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from models.errors import DomainError
from models.users import (
    User,
    check_password_of_nobody,
    login_throttle,
    record_login_attempt,
    set_user_password,
)
from views.base import audit
from views.forms import SecureForm, csrf_failed

from .extensions import login_manager

bp = Blueprint("auth", __name__)


class LoginForm(SecureForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名。"), Length(max=32)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码。"), Length(max=128)])


class PasswordForm(SecureForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码。")])
    new_password = PasswordField("新密码", validators=[DataRequired("请输入新密码。")])
    confirm = PasswordField("确认新密码", validators=[EqualTo("new_password", "两次输入的新密码不一致。")])


@login_manager.user_loader
def load_user(token: str):
    user_id, _, version = (token or "").partition(":")
    user = User.objects(pk=user_id).first() if user_id else None
    if user is None or not user.is_active or str(user.version) != version:
        return None
    return user


def _safe_next(target: str | None) -> str:
    if target:
        parsed = urlparse(target)
        if not parsed.scheme and not parsed.netloc and target.startswith("/"):
            return target
    return url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm(request.form if request.method == "POST" else None)
    error = None
    if request.method == "POST":
        if not form.validate():
            error = form.csrf_token.errors[0] if csrf_failed(form) else None
        else:
            error = _attempt(form.username.data.strip(), form.password.data)
            if error is None:
                return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form, error=error), (200 if error is None else 401)


def _attempt(username: str, password: str) -> str | None:
    """Try to log in; return a Chinese error, or None on success. A name without an
    account is counted and locked like one, so the answers are the same for both."""
    cfg = current_app.config
    user = User.objects(username=username).first()
    counted = user if user is not None else login_throttle(username)
    if counted.is_locked():
        audit("login_failed", actor_name=username, detail="账户锁定中")
        return "连续登录失败次数过多，账户已临时锁定，请稍后再试或联系系统管理员。"
    if user is None or not user.check_password(password):
        if user is None:
            check_password_of_nobody(password)
        record_login_attempt(counted, False, cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_LOCK_MINUTES"])
        audit("login_failed", actor_name=username, detail="用户名或密码错误")
        if counted.is_locked():
            return f"连续 {cfg['LOGIN_MAX_FAILURES']} 次登录失败，账户已锁定 {cfg['LOGIN_LOCK_MINUTES']} 分钟。"
        return "用户名或密码错误。"
    if not user.is_active:
        audit("login_failed", actor_name=username, detail="账户已停用")
        return "该账户已停用，请联系系统管理员。"
    record_login_attempt(user, True, cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_LOCK_MINUTES"])
    session.permanent = True
    login_user(user)
    audit("login", detail="登录成功")
    return None


@bp.route("/logout")
def logout():
    if current_user.is_authenticated:
        audit("logout")
        logout_user()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm(request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        user = current_user._get_current_object()
        if not user.check_password(form.current.data):
            form.current.errors = ["当前密码不正确。"]
        else:
            try:
                set_user_password(user, form.new_password.data, user)
            except DomainError as exc:
                form.new_password.errors = [exc.message]
            else:
                login_user(user)
                flash("密码已修改。", "success")
                return redirect(url_for("admin.index"))
    elif request.method == "POST" and csrf_failed(form):
        flash(form.csrf_token.errors[0], "error")
    return render_template("auth/password.html", form=form)
