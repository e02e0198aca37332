"""The roles a signed-in principal can hold: one list for the schema's CHECK rules, tokens,
accounts and the command line (kept apart from gis/schema.py so that the CLI starts without
loading SQLAlchemy's table machinery)."""

#: ``gateway``: a sensor gateway posting readings; ``payment``: the parking payment app.
ROLES = ("citizen", "staff", "planner", "crew", "admin", "gateway", "payment")
