"""dimos: the municipal spatial services server (application factory, CLI, demo loading)."""

__all__ = ["create_app"]


def __getattr__(name: str):
    # the app (Flask, pygeoapi) is imported when asked for, not by every `dimos` command:
    # importing it costs ~1.5 s, a tenth of a 100,000-feature import
    if name == "create_app":
        from dimos.app import create_app

        return create_app
    raise AttributeError(f"module 'dimos' has no attribute {name!r}")
