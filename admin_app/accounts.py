"""Account set-up used by the CLI, the run command and demo mode."""

from models.errors import DomainError
from models.services import create_record
from models.users import User, generate_password


def create_user(username: str, role: str, display_name: str, password: str | None = None,
                townships=None, actor=None) -> tuple[User, str]:
    """Create an account; returns it with the password (generated when not given)."""
    password = password or generate_password()
    user = User(username=username, display_name=display_name, role=role, townships=list(townships or []))
    user.set_password(password)
    create_record(user, actor)
    return user, password


def ensure_first_admin() -> str | None:
    """Create the first 系统管理员 when there is none; returns its password once."""
    if User.objects(role="admin", active=True, voided=False).count():
        return None
    username = "admin"
    if User.objects(username=username).count():
        raise DomainError("已存在名为 admin 但未启用的账户，请用 create-user 命令新建一个系统管理员。")
    _, password = create_user(username, "admin", "系统管理员")
    return password
