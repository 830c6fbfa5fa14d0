"""Extensions, created unbound and initialised in ``create_app``."""

from flask_babel import Babel
from flask_login import LoginManager

babel = Babel()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"
login_manager.session_protection = "strong"
