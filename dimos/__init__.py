"""dimos: the municipal spatial services server (application factory, CLI, demo loading)."""
from dimos.app import create_app

__all__ = ["create_app"]
