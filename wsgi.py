"""WSGI entry point: ``app = create_app()`` (settings from the environment)."""

from admin_app import create_app

app = create_app()
