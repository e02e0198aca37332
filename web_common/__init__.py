"""What the Flask blueprints (dimos', web_map's) share about a request and its response: the
municipality it asks about, the session's CSRF token, the pages' Content-Security-Policy.

It sits below the blueprints and above the core (gis/, which holds no Flask), so the web map
uses these without importing the application that assembles it (dimos/app.py).
"""
