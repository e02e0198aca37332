"""The roles a signed-in principal can hold: one list for the schema's CHECK rules, tokens,
accounts and the command line (kept apart from gis/schema.py so that the CLI starts without
loading SQLAlchemy's table machinery)."""

#: ``gateway``: a sensor gateway posting readings; ``payment``: the parking payment app.
ROLES = ("citizen", "staff", "planner", "crew", "admin", "gateway", "payment")
#: the roles people hold (machines hold the other two), least to most powerful: single sign-on
#: gives the most powerful one a person's groups map to
PEOPLE = ("citizen", "crew", "planner", "staff", "admin")
