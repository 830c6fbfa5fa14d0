"""Flask-Admin views and custom pages; every one inherits ``views.base``."""
