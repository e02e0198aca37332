"""The WSGI entry point for gunicorn: the app with settings from the environment."""
from dimos.app import create_app
from settings import Settings

app = create_app(Settings())
