"""Who may talk to the project's broker: accounts, their passwords and the topics each may use.

Kept in the broker's folder (``state_dir/mqtt``, every file 0600):

- ``service-accounts.json``: the user names and passwords of the ingest worker, the simulator,
  the change relay and the changes' reader (made by ``dimos broker up``; those processes read
  them back to sign in; the reader's is for subscribers of the feature changes);
- ``gateways.json``: each gateway's municipality and password hash (the password itself is
  shown once, by ``dimos broker account create``);
- ``passwords`` and ``acl``: Mosquitto's ``password_file`` and ``acl_file``, written from the
  two above. The hashes are Mosquitto's own PBKDF2-SHA512 format (``$7$``, what
  ``mosquitto_passwd`` writes), made here so no password ever appears on a command line.

When ``MQTT_URL`` names a broker of its own, its accounts are its operator's: the ingest worker
and the simulator sign in with the user and password of the URL.
"""
from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import re
import secrets
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from gis.errors import InvalidParameter, SetupError

INGEST = "ingest"
SIMULATOR = "simulator"
RELAY = "changes-relay"
READER = "changes-reader"
#: the feature changes (mqtt/changes.py): the relay alone publishes there, and no reading of
#: a sensor may be sent, nor received by the ingest, on those topics (Mosquitto applies a
#: "deny" before any grant)
CHANGES_TOPICS = "dimos/+/changes/#"
NOT_CHANGES = f"topic deny {CHANGES_TOPICS}"
#: the service accounts: user name, and the ACL lines saying what each may do
SERVICES = {
    INGEST: ("dimos-ingest", (NOT_CHANGES, "topic read dimos/#")),
    SIMULATOR: ("dimos-simulator", (NOT_CHANGES, "topic write dimos/#")),
    RELAY: ("dimos-changes-relay", (f"topic write {CHANGES_TOPICS}",)),
    # for subscribers of the changes (clients of the OGC API): read those topics only
    READER: ("dimos-changes-reader", (f"topic read {CHANGES_TOPICS}",)),
}
#: a gateway's name goes into the password and ACL files: no ':', spaces or line breaks
GATEWAY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: the same rule as the jurisdictions table's id: no MQTT wildcards ('+', '#') or '/'
JURISDICTION_ID = re.compile(r"^[a-z][a-z0-9_]*$")
PBKDF2_ITERATIONS = 101  # mosquitto_passwd's default; the passwords are 256 random bits


def folder(state_dir: Path) -> Path:
    return state_dir / "mqtt"


def mosquitto_hash(password: str, salt: bytes | None = None) -> str:
    """``password`` as Mosquitto's password file stores it: ``$7$iterations$salt$hash``."""
    salt = salt or secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, PBKDF2_ITERATIONS)
    return (f"$7${PBKDF2_ITERATIONS}${base64.b64encode(salt).decode()}"
            f"${base64.b64encode(digest).decode()}")


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only, replacing it in one step."""
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(temporary, path)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SetupError(f"cannot read {path}: {exc}") from None


@contextmanager
def _locked(state_dir: Path):
    """One writer of the account files at a time (two admins, or `broker up` beside them)."""
    folder(state_dir).mkdir(parents=True, exist_ok=True)
    with open(folder(state_dir) / ".accounts.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _services(state_dir: Path) -> dict:
    """The service accounts' credentials, made on first use."""
    path = folder(state_dir) / "service-accounts.json"
    accounts = _read_json(path)
    if set(accounts) != set(SERVICES):
        accounts = {account: accounts.get(account) or {
            "username": username, "password": secrets.token_urlsafe(32)}
            for account, (username, _) in SERVICES.items()}
        _write_private(path, json.dumps(accounts, indent=2))
    return accounts


def write_broker_files(state_dir: Path) -> None:
    """Write Mosquitto's password and ACL files from the accounts (made if missing)."""
    with _locked(state_dir):
        _write_broker_files(state_dir)


def _write_broker_files(state_dir: Path) -> None:
    services = _services(state_dir)
    gateways = _read_json(folder(state_dir) / "gateways.json")
    passwords, acl = [], ["# dimos: written by servers/broker_accounts.py; edits are overwritten"]
    for account, (username, rules) in SERVICES.items():
        passwords.append(f"{username}:{mosquitto_hash(services[account]['password'])}")
        acl += ["", f"user {username}", *rules]
    for name, gateway in sorted(gateways.items()):
        passwords.append(f"{name}:{gateway['hash']}")
        acl += ["", f"user {name}", NOT_CHANGES,
                f"topic write dimos/{gateway['jurisdiction']}/#"]
    _write_private(folder(state_dir) / "passwords", "\n".join(passwords) + "\n")
    _write_private(folder(state_dir) / "acl", "\n".join(acl) + "\n")


def create_gateway(state_dir: Path, name: str, jurisdiction: str) -> str:
    """A broker account for a gateway of ``jurisdiction``, which may publish only to
    ``dimos/<jurisdiction>/#``; its password, the only time it is seen."""
    if not GATEWAY_NAME.match(name) or name.startswith("dimos-"):
        raise InvalidParameter(f"name: {name[:70]!r} must be letters, digits, '.', '_' or '-' "
                               "(at most 64, not starting with 'dimos-')")
    if not JURISDICTION_ID.match(jurisdiction):
        raise InvalidParameter(f"--jurisdiction: {jurisdiction[:40]!r} is not a municipality id")
    password = secrets.token_urlsafe(32)
    with _locked(state_dir):
        path = folder(state_dir) / "gateways.json"
        gateways = _read_json(path)
        if name in gateways:
            raise InvalidParameter(f"name: a gateway account {name!r} exists; remove it first "
                                   f"(dimos broker account remove {name}) or pick another name")
        gateways[name] = {"jurisdiction": jurisdiction, "hash": mosquitto_hash(password)}
        _write_private(path, json.dumps(gateways, indent=2, sort_keys=True))
        _write_broker_files(state_dir)
    return password


def remove_gateway(state_dir: Path, name: str) -> bool:
    """Remove a gateway's account; False if there is none."""
    with _locked(state_dir):
        path = folder(state_dir) / "gateways.json"
        gateways = _read_json(path)
        if gateways.pop(name, None) is None:
            return False
        _write_private(path, json.dumps(gateways, indent=2, sort_keys=True))
        _write_broker_files(state_dir)
    return True


def list_gateways(state_dir: Path) -> list[tuple[str, str]]:
    """(name, municipality) of each gateway account."""
    gateways = _read_json(folder(state_dir) / "gateways.json")
    return sorted((name, g["jurisdiction"]) for name, g in gateways.items())


def credentials(settings, account: str) -> tuple[str | None, str | None]:
    """(user name, password) the ``account`` (INGEST, SIMULATOR, RELAY, READER) signs in with:
    from the project's broker folder, or from ``MQTT_URL`` (none there: no sign-in)."""
    if not settings.uses_local_broker:
        parsed = urlsplit(settings.mqtt_url.strip())
        if parsed.username is None:
            return None, None
        return unquote(parsed.username), unquote(parsed.password or "") or None
    path = folder(settings.state_dir) / "service-accounts.json"
    entry = _read_json(path).get(account)
    if not entry:
        raise SetupError(f"no MQTT account for the {account} in {path}: run `dimos broker up` "
                         "first (it makes the broker's accounts)")
    return entry["username"], entry["password"]
