"""Whom a transaction on the jobs table acts for: the settings migration 0018's policies read."""
from __future__ import annotations

from gis.access_rules import STAFF, principal_id
from gis.app_role import MUNICIPALITIES_SETTING, PRINCIPAL_SETTING, STAFF_SETTING
from gis.db import municipalities_setting
from gis.roles import Principal

#: local to the transaction (true): the next one on the pooled connection names its own
ACT_FOR_SQL = ("SELECT set_config(%(m)s, %(mv)s, true), set_config(%(p)s, %(pv)s, true), "
               "set_config(%(s)s, %(sv)s, true)")


def act_for_parameters(principal: Principal | None) -> dict[str, str]:
    """The values of ACT_FOR_SQL for ``principal`` (None: anonymous)."""
    return {"m": MUNICIPALITIES_SETTING, "mv": municipalities_setting(principal),
            "p": PRINCIPAL_SETTING, "pv": principal_id(principal) or "",
            "s": STAFF_SETTING,
            "sv": "on" if principal is not None and principal.role in STAFF else ""}
