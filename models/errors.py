"""Domain errors. Each carries a message a user can read (Chinese) and, where it
belongs to one form field, that field's name."""


class DomainError(Exception):
    """A rule of the domain refused the change."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class StaleRecordError(DomainError):
    """Somebody else saved the record after it was opened."""

    def __init__(self):
        super().__init__(
            "保存失败：该记录已被他人修改。您填写的内容仍保留在表单中，"
            "请先在新窗口打开最新版本核对，再重新提交。"
        )


class DuplicateRecordError(DomainError):
    """A unique value is already taken."""


class PermissionDenied(DomainError):
    """The actor may not do this to this record."""
