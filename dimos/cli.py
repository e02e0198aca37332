"""The dimos command line: database lifecycle, demo data, serving."""
from __future__ import annotations

import argparse
import getpass
import os
import re
import shutil
import sys
import time
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import SettingsError

from accounts import tokens
from accounts.secret_key import secret_key
from dimos.layer_cli import add_layer_commands
from gis import db
from gis.errors import DimosError, InvalidParameter, SetupError
from gis.jurisdictions import jurisdiction_ids
from gis.roles import ROLES
from gis.status import database_status
from servers import broker, broker_accounts, cluster
from settings import INGEST_NAME_PATTERN, Settings


def db_up(settings: Settings, args) -> None:
    if settings.database_url:
        info = db.require_extensions_available(settings.database_url)
        print(f"using DATABASE_URL ({db.describe_url(settings.database_url)}): PostgreSQL "
              f"{info.server_version}, PostGIS {info.postgis_available}, "
              f"pgRouting {info.pgrouting_available} available")
        return
    local = cluster.LocalCluster(settings.state_dir, settings.pg_port)
    print(local.up())
    if db.create_database(settings.local_url("postgres"), settings.pg_database):
        print(f"created database {settings.pg_database}")
    print(f"DATABASE_URL={settings.effective_database_url}")


def db_down(settings: Settings, args) -> None:
    if settings.database_url:
        print("DATABASE_URL is set: dimos does not manage that server; nothing stopped")
        return
    print(cluster.LocalCluster(settings.state_dir, settings.pg_port).down())


def db_migrate(settings: Settings, args) -> None:
    from gis import migrate  # Alembic: only when asked (every other command starts faster)

    url = settings.effective_database_url
    db.require_extensions_available(url)
    migrate.upgrade(url, args.revision)
    print(f"database {db.describe_url(url)} at revision {migrate.current_revision(url)}")


def db_status(settings: Settings, args) -> None:
    url = settings.effective_database_url
    status = database_status(url)
    print(f"database   {db.describe_url(url)}")
    print(f"PostgreSQL {status.server}")
    print(f"PostGIS    {status.postgis} (GEOS {status.geos}, PROJ {status.proj})")
    print(f"pgRouting  {status.pgrouting}")
    jurisdictions = sorted(status.counts_by_jurisdiction)
    print(f"{'layer':<20}{'total':>8}" + "".join(f"{j:>12}" for j in jurisdictions))
    for layer_id, total in status.counts.items():
        per = "".join(f"{status.counts_by_jurisdiction[j].get(layer_id, 0):>12}" for j in jurisdictions)
        print(f"{layer_id:<20}{total:>8}{per}")


def demo_load(settings: Settings, args) -> None:
    """The demo into each of its municipalities that is empty; with --reset, in place of what
    they hold, once that is listed per municipality and confirmed (a question on a terminal,
    or --yes)."""
    url = settings.effective_database_url
    db.require_schema(url)
    import data.demo  # heavy (geopandas): only when asked
    from dimos.demo import MunicipalityNotEmpty, holdings, load_demo

    unknown = set(args.jurisdiction or ()) - set(data.demo.JURISDICTION_IDS)
    if unknown:
        raise InvalidParameter(f"--jurisdiction: {min(unknown)[:40]!r} is not a demo municipality "
                               f"({', '.join(data.demo.JURISDICTION_IDS)})")
    chosen = [m for m in data.demo.MUNICIPALITIES
              if not args.jurisdiction or m.id in args.jurisdiction]
    held = {m.id: holdings(url, m.id) for m in chosen}
    if not args.reset:
        for m in chosen:
            if not held[m.id].empty:
                print(f"municipality '{m.id}' holds {held[m.id].describe()}: kept, the demo was "
                      f"not loaded (`dimos demo load --reset` replaces them with the demo)")
        chosen = [m for m in chosen if held[m.id].empty]
    replaced = {j: h for j, h in held.items() if not h.empty and args.reset}
    if replaced:
        _confirm("this deletes every feature of these municipalities in the demo's layers:\n"
                 + "\n".join(f"  {j}: {h.describe()}" for j, h in replaced.items()), args.yes)
    for m in chosen:
        started = time.perf_counter()
        demo = data.demo.build_municipality(m)
        built = time.perf_counter()
        try:
            result = load_demo(url, demo, reset=args.reset)
        except MunicipalityNotEmpty as refused:  # another load went first
            print(refused.message)
            continue
        if not result.replaced.empty:
            print(f"deleted from '{m.id}': {result.replaced.describe()}")
        print(f"demo '{result.jurisdiction_id}' built in {built - started:.1f} s, "
              f"loaded in {time.perf_counter() - built:.1f} s:")
        for layer_id, count in result.counts.items():
            print(f"  {layer_id:<20}{count:>7}")
        print(f"  {'road vertices':<20}{result.road_vertices:>7}")


def _confirm(what: str, yes: bool) -> None:
    """Go on only when told to: --yes, or 'yes' typed at a terminal."""
    print(what)
    if yes:
        return
    if not sys.stdin.isatty():
        raise InvalidParameter("nothing deleted: confirm with --yes (no terminal to ask on)")
    if input("type 'yes' to go on: ").strip().lower() != "yes":
        raise InvalidParameter("nothing deleted: not confirmed")


def db_backup(settings: Settings, args) -> None:
    from servers.backup import backup

    size = backup(settings.effective_database_url, args.file)
    print(f"backed up {db.describe_url(settings.effective_database_url)} to {args.file} "
          f"({size / 2 ** 20:.1f} MB)")


def db_restore(settings: Settings, args) -> None:
    from servers.backup import restore

    restore(settings.effective_database_url, args.file)
    print(f"restored {args.file} into {db.describe_url(settings.effective_database_url)}")


def token_create(settings: Settings, args) -> None:
    url = settings.effective_database_url
    db.require_schema(url)
    with db.pooled_cursor(url, commit=True, actor=f"cli:{getpass.getuser()}") as cur:
        token = tokens.issue_token(cur, args.name, args.role, args.jurisdiction)
        held = tokens.principal_for(cur, token)
    of = _belongs(held.municipalities, held.everywhere)
    print(f"token for {args.name} ({args.role}{of}); shown once, store it now:", file=sys.stderr)
    print(token)


def token_revoke(settings: Settings, args) -> None:
    with db.pooled_cursor(settings.effective_database_url, commit=True,
                          actor=f"cli:{getpass.getuser()}") as cur:
        if not tokens.revoke_token(cur, args.name):
            raise InvalidParameter(f"no live token named {args.name!r}")
    print(f"revoked the token of {args.name}")


def token_list(settings: Settings, args) -> None:
    with db.pooled_cursor(settings.effective_database_url) as cur:
        for name, role, municipalities, created, revoked in tokens.list_tokens(cur):
            state = f"revoked {revoked:%Y-%m-%d %H:%M}" if revoked else "live"
            if not revoked and role in tokens.BOUND_ROLES and not municipalities:
                state += " (refused: names no municipality; reissue with --jurisdiction)"
            where = ",".join(municipalities) or ("(all)" if role == "admin" else "")
            print(f"{name:<24}{role:<10}{where:<14}created "
                  f"{created:%Y-%m-%d %H:%M}  {state}")


def account_create(settings: Settings, args) -> None:
    from accounts.people import active_principal, create_account

    url = settings.effective_database_url
    db.require_schema(url)
    password = (sys.stdin.readline().rstrip("\n") if args.password_stdin
                else getpass.getpass(f"password for {args.name}: "))
    with db.pooled_cursor(url, commit=True, actor=f"cli:{getpass.getuser()}") as cur:
        create_account(cur, args.name, args.role, password, args.jurisdiction)
        held = active_principal(cur, args.name)
    print(f"account {args.name} ({args.role}{_belongs(held.municipalities, held.everywhere)}) "
          "created; sign in at /api/session")


def _belongs(municipalities, everywhere: bool) -> str:
    if everywhere:
        return " in every municipality"
    return f" of {', '.join(sorted(municipalities))}" if municipalities else ""


def account_disable(settings: Settings, args) -> None:
    from accounts.people import disable_account

    with db.pooled_cursor(settings.effective_database_url, commit=True,
                          actor=f"cli:{getpass.getuser()}") as cur:
        if not disable_account(cur, args.name):
            raise InvalidParameter(f"no active account named {args.name!r}")
    print(f"disabled {args.name}: their sessions have ended")


def account_role(settings: Settings, args) -> None:
    from accounts.people import change_role

    with db.pooled_cursor(settings.effective_database_url, commit=True,
                          actor=f"cli:{getpass.getuser()}") as cur:
        if not change_role(cur, args.name, args.role):
            raise InvalidParameter(f"no active account named {args.name!r}")
    print(f"{args.name} is now {args.role}: their sessions have ended, they sign in again")


def notify_send(settings: Settings, args) -> None:
    from mail.notify import SmtpSender, send_pending

    sender = SmtpSender(settings.smtp_host, settings.smtp_port, settings.mail_from)
    with db.pooled_cursor(settings.effective_database_url, commit=True) as cur:
        sent, failed = send_pending(cur, sender)
    print(f"notifications: {sent} sent, {failed} failed (retried next time)")


def broker_up(settings: Settings, args) -> None:
    if not settings.uses_local_broker:
        host, port = settings.mqtt_address
        if not broker.port_open(host, port):
            raise SetupError(f"no MQTT broker answers at {host}:{port} (MQTT_URL): start it, or "
                             "unset MQTT_URL to use the project's own Mosquitto")
        print(f"using MQTT_URL ({host}:{port})")
        return
    print(broker.LocalBroker(settings.state_dir, settings.mqtt_port).up())


def _local_broker_accounts(settings: Settings) -> None:
    if not settings.uses_local_broker:
        raise InvalidParameter("MQTT_URL is set: dimos does not manage that broker's accounts; "
                               "make the gateway's account there, allowed to publish to "
                               "dimos/<jurisdiction>/# only")


def broker_account_create(settings: Settings, args) -> None:
    from gis.jurisdictions import jurisdiction_ids

    _local_broker_accounts(settings)
    with db.pooled_cursor(settings.effective_database_url) as cur:
        known = jurisdiction_ids(cur)
    if args.jurisdiction not in known:
        raise InvalidParameter(f"--jurisdiction: {args.jurisdiction!r} unknown; this server holds "
                               f"{', '.join(known)}")
    password = broker_accounts.create_gateway(settings.state_dir, args.name, args.jurisdiction)
    local = broker.LocalBroker(settings.state_dir, settings.mqtt_port)
    live = "now" if local.reload() else "once the broker is up (dimos broker up)"
    host, port = settings.mqtt_address
    print(f"broker account {args.name} may publish to dimos/{args.jurisdiction}/# on "
          f"{host}:{port} {live}; its password, shown once, store it now:", file=sys.stderr)
    print(password)


def broker_account_remove(settings: Settings, args) -> None:
    _local_broker_accounts(settings)
    if not broker_accounts.remove_gateway(settings.state_dir, args.name):
        raise InvalidParameter(f"no gateway account named {args.name!r}")
    broker.LocalBroker(settings.state_dir, settings.mqtt_port).reload()
    # a client signed in stays connected until it reconnects: restart the broker to cut it off
    print(f"removed {args.name}: it can no longer sign in (a connection open now ends when the "
          "broker restarts: dimos broker down && dimos broker up)")


def broker_account_list(settings: Settings, args) -> None:
    _local_broker_accounts(settings)
    for name, jurisdiction in broker_accounts.list_gateways(settings.state_dir):
        print(f"{name:<24}publishes to dimos/{jurisdiction}/#")


def broker_down(settings: Settings, args) -> None:
    if not settings.uses_local_broker:
        print("MQTT_URL is set: dimos does not manage that broker; nothing stopped")
        return
    print(broker.LocalBroker(settings.state_dir, settings.mqtt_port).down())


def _ha_cluster(settings: Settings):
    from servers.ha import HACluster

    return HACluster(settings.state_dir, settings.cluster_port_base, settings.port)


def cluster_up(settings: Settings, args) -> None:
    from gis import migrate

    started = time.monotonic()
    for line in _ha_cluster(settings).up(lambda url: migrate.upgrade(url, "head")):
        print(line, flush=True)
    print(f"cluster up in {time.monotonic() - started:.1f} s; "
          f"the map and APIs at http://127.0.0.1:{settings.port}/")


def cluster_down(settings: Settings, args) -> None:
    for line in _ha_cluster(settings).down():
        print(line)


def cluster_status(settings: Settings, args) -> None:
    import json

    members = _ha_cluster(settings).status()
    if args.json:
        print(json.dumps(members, indent=1))
        return
    for m in members:
        lag = "" if m["lag_bytes"] is None else f"  lag {m['lag_bytes']} B"
        print(f"{m['kind']:<9}{m['name']:<9}{m['role'] or '-':<9}{m['state']:<11}{m['url']}{lag}")


def sensors_ingest(settings: Settings, args) -> None:
    import logging

    from dimos.logs import use_json_logs
    from mqtt.ingest import IngestWorker, client_id_for

    logging.basicConfig(level=logging.INFO)
    use_json_logs()  # the same JSON lines as the web workers beside it
    db.require_schema(settings.effective_database_url)
    broker_accounts.credentials(settings, broker_accounts.INGEST)  # none: say so, once
    name = args.name or settings.sensors_ingest_name
    client_id = client_id_for(name)
    if args.retire:
        if name is None:
            raise SetupError("--retire takes the --name of the worker to retire")
        stored = IngestWorker(settings, client_id, shared=True).retire()
        print(f"retired the ingest worker {name}: stored the {stored} readings its session "
              "held; the others now share its readings")
        return
    if args.duration is not None:
        IngestWorker(settings, client_id, shared=name is not None).run(args.duration)
        return
    while True:  # a bug must not stop the city's parking data: log it, start afresh
        try:
            IngestWorker(settings, client_id, shared=name is not None).run()
            return
        except Exception:
            logging.getLogger("dimos.sensors").exception("the ingest worker failed; restarting")
            time.sleep(1)


def changes_relay(settings: Settings, args) -> None:
    import logging

    from dimos.logs import use_json_logs
    from mqtt.changes import ChangeRelay

    logging.basicConfig(level=logging.INFO)
    use_json_logs()
    db.require_schema(settings.effective_database_url)
    broker_accounts.credentials(settings, broker_accounts.RELAY)  # none: say so, once
    if args.duration is not None:
        ChangeRelay(settings).run(args.duration)
        return
    while True:  # a bug must not silence the changes: log it, start afresh
        try:
            ChangeRelay(settings).run()
            return
        except Exception:
            logging.getLogger("dimos.changes").exception("the change relay failed; restarting")
            time.sleep(1)


def sensors_simulate(settings: Settings, args) -> None:
    from mqtt.simulator import Simulator

    db.require_schema(settings.effective_database_url)
    simulator = Simulator(settings, heartbeat_s=args.heartbeat, jurisdiction=args.jurisdiction)
    print(f"simulating {len(simulator.devices)} sensors (heartbeat {args.heartbeat:g} s)",
          flush=True)
    simulator.run(args.duration)
    print(f"published {simulator.published} readings, {simulator.acknowledged} acknowledged")


def sensors_status(settings: Settings, args) -> None:
    from gis.sensors import ingest_counts, sensors_heard

    with db.pooled_cursor(settings.effective_database_url) as cur:
        for kind, total, heard, newest in sensors_heard(cur):
            print(f"{kind:<5}{total:>6} sensors, {heard:>6} heard from, newest reading {newest}")
        for outcome, count in ingest_counts(cur).items():
            print(f"  {outcome:<16}{count:>12}")


def sensors_maintain(settings: Settings, args) -> None:
    from datetime import UTC, datetime, timedelta

    from gis.sensors import aggregate_hours, drop_old_partitions

    now = datetime.now(UTC)
    with db.pooled_cursor(settings.effective_database_url, commit=True) as cur:
        hours = aggregate_hours(cur, now - timedelta(days=args.days), now)
        dropped = drop_old_partitions(cur, settings.sensor_retention_months, now)
    print(f"hourly aggregates: {hours} rows recounted over {args.days} days; raw months dropped "
          f"(older than {settings.sensor_retention_months} months): {', '.join(dropped) or 'none'}")


def serve(settings: Settings, args) -> None:
    database_status(settings.effective_database_url)  # fail now, in one line, if not ready
    _check_municipality_settings(settings)
    host, port = args.host or settings.host, args.port or settings.port
    workers = str(args.workers or settings.workers)
    # the workers build their settings from the environment: hand them the overrides
    env = {**os.environ, "DIMOS_HOST": host, "DIMOS_PORT": str(port)}
    # the database's session key (every node's), read now: a worker gunicorn replaces while
    # the database is away still boots (tests/test_faults.py)
    env["DIMOS_SECRET_KEY"] = secret_key(settings).decode()
    # /metrics sums the workers through files in a fresh folder (prometheus_client)
    metrics_dir = settings.state_dir / "metrics" / str(port)
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    print(f"serving the map and APIs at http://{host}:{port}/ ({workers} workers)", flush=True)
    # threads: a live map stream (SSE) holds one while it is open
    os.execvpe(sys.executable, [sys.executable, "-m", "gunicorn", "--workers", workers,
                                "--worker-class", "gthread", "--threads", str(settings.threads),
                                "--config", "python:dimos.gunicorn_hooks",
                                "--bind", f"{host}:{port}", "--access-logfile", "-",
                                "dimos.wsgi:app"], env)


def _check_municipality_settings(settings: Settings) -> None:
    """Refuse to serve with settings naming a municipality the database does not hold."""
    with db.pooled_cursor(settings.effective_database_url) as cur:
        known = jurisdiction_ids(cur)
    wrong = settings.unknown_municipalities(known)
    if wrong:
        raise InvalidParameter(f"{'; '.join(w[:80] for w in wrong)}: not a municipality of this "
                               f"database (it holds {', '.join(known) or 'none'})")


def doctor(settings: Settings, args) -> None:
    import pyogrio
    import pyproj
    import shapely

    print(f"Python     {sys.version.split()[0]} ({sys.executable})")
    print(f"GDAL       {pyogrio.__gdal_version_string__} (pyogrio {pyogrio.__version__})")
    print(f"PROJ       {pyproj.proj_version_str} (pyproj {pyproj.__version__})")
    print(f"GEOS       {shapely.geos_version_string} (shapely {shapely.__version__})")
    where = "DATABASE_URL" if settings.database_url else "project cluster"
    print(f"database   {db.describe_url(settings.effective_database_url)} ({where})")
    info = db.inspect_server(settings.effective_database_url)
    print(f"PostgreSQL {info.server_version}; PostGIS {info.postgis_installed or 'not installed'}; "
          f"pgRouting {info.pgrouting_installed or 'not installed'}")


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """``['a=b', ...]`` as a dict; InvalidParameter naming the option for a malformed pair."""
    pairs = {}
    for value in values or []:
        target, sep, source = value.partition("=")
        if not sep or not target.strip():
            raise InvalidParameter(f"{option} {value!r}: write it as FIELD=VALUE")
        pairs[target.strip()] = source.strip()
    return pairs


def _drawing_note(result) -> str:
    """What a DXF import left out and labelled, for the summary line."""
    if not (result.not_selected or result.labels):
        return ""
    return (f", {result.not_selected} CAD entities not selected (other layers, types, or "
            f"drawing furniture), {result.labels} texts taken as polygon labels")


def import_file(settings: Settings, args) -> None:
    from importers.archives import limits_from
    from importers.dxf import parse_entity_types
    from importers.pipeline import ImportOptions, run_import

    url = settings.effective_database_url
    db.require_schema(url)
    result = run_import(url, ImportOptions(
        path=args.path, layer_id=args.layer, crs=args.crs, mapping=_pairs(args.map, "--map"),
        constants=_pairs(args.set, "--set"), mode=args.mode, dry_run=args.dry_run,
        jurisdiction=args.jurisdiction, source_layers=tuple(args.source_layer or ()),
        entity_types=parse_entity_types(args.entity_types or ()), encoding=args.encoding,
        skip_outside=args.skip_outside, attributes_only=args.attributes_only,
        actor=f"cli:{getpass.getuser()}",
        fallback_report_dir=settings.state_dir / "imports",
        raster_work_dir=settings.state_dir / "rasters", archive_limits=limits_from(settings)))
    if result.already_imported:
        print(f"{args.path.name}: already imported into {result.layer_id} ({result.jurisdiction_id}) "
              f"as import #{result.import_id} (same SHA-256 and mode): nothing to do")
        return
    c = result.counts
    verb = "would import" if result.dry_run else f"import #{result.import_id}:"
    print(f"{args.path.name} ({result.source_crs}) → {result.layer_id} ({result.jurisdiction_id}), "
          f"{verb} {result.read} read, {c.added} added, {c.updated} updated, "
          f"{c.unchanged} unchanged, {c.deleted} deleted, {result.repaired} repaired, "
          f"{result.skipped} left out" + _drawing_note(result))
    if result.road_vertices is not None:
        print(f"road topology rebuilt: {result.road_vertices} vertices")
    if result.report:
        print(f"repairs and left-out rows are listed in {result.report}")


def export_layer(settings: Settings, args) -> None:
    from gis.export import export_to_file
    from gis.jurisdictions import jurisdiction_ids
    from gis.parameters import parse_bbox

    url = settings.effective_database_url
    db.require_schema(url)
    bbox = None
    if args.bbox:
        if args.bbox.count(",") != 3:
            raise InvalidParameter(f"--bbox {args.bbox!r}: four numbers minx,miny,maxx,maxy")
        # --bbox-crs EPSG:4326 is read longitude first, as CRS84
        bbox = parse_bbox("--bbox", args.bbox,
                          "CRS84" if args.bbox_crs == "EPSG:4326" else args.bbox_crs)
    if args.private and not args.jurisdiction:
        # personal data leaves one municipality at a time, named by whoever exports it
        raise InvalidParameter("--private: name the municipality whose private fields to "
                               "export (--jurisdiction ID)")
    with db.pooled_cursor(url) as cur:
        if args.jurisdiction and args.jurisdiction not in jurisdiction_ids(cur):
            raise InvalidParameter(f"--jurisdiction: {args.jurisdiction[:40]!r} unknown; this "
                                   f"server holds {', '.join(jurisdiction_ids(cur))}")
        count = export_to_file(cur, args.layer, args.format, args.output, crs=args.crs,
                               cql_text=args.filter, bbox=bbox, bbox_crs=args.bbox_crs,
                               jurisdiction_id=args.jurisdiction,
                               private_of=args.jurisdiction if args.private else None,
                               lang=args.lang)
    print(f"exported {count} features of {args.layer} ({args.crs}) to {args.output}")


def ingest_name(value: str) -> str:
    if not re.fullmatch(INGEST_NAME_PATTERN, value):
        raise argparse.ArgumentTypeError(f"{value[:60]!r}: 1 to 40 letters, digits, '-' or '_'")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dimos", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    database = commands.add_parser("db", help="the PostGIS database").add_subparsers(
        dest="action", required=True)
    database.add_parser("up", help="start the project's cluster (or check DATABASE_URL's)"
                        ).set_defaults(func=db_up)
    database.add_parser("down", help="stop the project's cluster").set_defaults(func=db_down)
    database.add_parser("status", help="versions and per-layer counts").set_defaults(func=db_status)
    migrate_parser = database.add_parser("migrate", help="create or upgrade the schema")
    migrate_parser.add_argument("revision", nargs="?", default="head")
    migrate_parser.set_defaults(func=db_migrate)

    backup = database.add_parser("backup", help="dump the database (photos included)")
    backup.add_argument("file", type=Path)
    backup.set_defaults(func=db_backup)
    restore = database.add_parser("restore", help="replace the database with a backup")
    restore.add_argument("file", type=Path)
    restore.set_defaults(func=db_restore)

    demo = commands.add_parser("demo", help="demo data").add_subparsers(dest="action", required=True)
    load = demo.add_parser("load", help="load the demo (Rethymno, Chania) into each empty "
                                        "municipality of it")
    load.add_argument("--reset", action="store_true",
                      help="replace what the municipalities hold with the demo (lists it, asks)")
    load.add_argument("--jurisdiction", action="append",
                      help="only this demo municipality (repeatable; default: all)")
    load.add_argument("--yes", action="store_true", help="with --reset: do not ask")
    load.set_defaults(func=demo_load)

    token = commands.add_parser("token", help="API tokens (staff, apps)").add_subparsers(
        dest="action", required=True)
    create = token.add_parser("create", help="issue a token and print it once")
    create.add_argument("name", help="who or what holds it (a person, an app)")
    create.add_argument("--role", default="staff", choices=ROLES)
    create.add_argument("--jurisdiction", action="append",
                        help="a municipality the token belongs to (repeat for several; a gateway "
                        "belongs to one; default: the only one, or every one for an admin)")
    create.set_defaults(func=token_create)
    revoke = token.add_parser("revoke", help="revoke a token by its name")
    revoke.add_argument("name")
    revoke.set_defaults(func=token_revoke)
    token.add_parser("list", help="tokens and their state").set_defaults(func=token_list)

    account = commands.add_parser("account", help="local accounts (sign-in with a password)"
                                  ).add_subparsers(dest="action", required=True)
    make = account.add_parser("create", help="create an account (asks for the password)")
    make.add_argument("name")
    make.add_argument("--role", default="staff", choices=ROLES)
    make.add_argument("--jurisdiction", action="append",
                      help="a municipality the account belongs to (repeat for several; default: "
                      "the only one, or every one for an admin)")
    make.add_argument("--password-stdin", action="store_true",
                      help="read the password from the first line of standard input")
    make.set_defaults(func=account_create)
    disable = account.add_parser("disable", help="disable an account (ends its sessions)")
    disable.add_argument("name")
    disable.set_defaults(func=account_disable)
    role = account.add_parser("role", help="give an account another role (ends its sessions)")
    role.add_argument("name")
    role.add_argument("--role", required=True, choices=ROLES)
    role.set_defaults(func=account_role)

    notify = commands.add_parser("notify", help="citizens' notifications").add_subparsers(
        dest="action", required=True)
    notify.add_parser("send", help="send the outbox by e-mail (DIMOS_SMTP_HOST/PORT)"
                      ).set_defaults(func=notify_send)

    mqtt = commands.add_parser("broker", help="the sensors' MQTT broker (Mosquitto)"
                               ).add_subparsers(dest="action", required=True)
    mqtt.add_parser("up", help="start the project's broker (or check MQTT_URL's)"
                    ).set_defaults(func=broker_up)
    mqtt.add_parser("down", help="stop the project's broker").set_defaults(func=broker_down)
    accounts = mqtt.add_parser("account", help="gateways' accounts on the project's broker"
                               ).add_subparsers(dest="account_action", required=True)
    make_account = accounts.add_parser("create", help="an account for a gateway, publishing to "
                                       "its municipality's topics only; prints its password once")
    make_account.add_argument("name", help="the gateway (its MQTT user name)")
    make_account.add_argument("--jurisdiction", required=True,
                              help="the municipality whose sensors it reports")
    make_account.set_defaults(func=broker_account_create)
    remove_account = accounts.add_parser("remove", help="remove a gateway's account")
    remove_account.add_argument("name")
    remove_account.set_defaults(func=broker_account_remove)
    accounts.add_parser("list", help="gateway accounts and their topics"
                        ).set_defaults(func=broker_account_list)

    ha = commands.add_parser("cluster", help="a replicated cluster on this machine (Patroni, "
                             "etcd, HAProxy, two app nodes)").add_subparsers(dest="action",
                                                                              required=True)
    ha.add_parser("up", help="start every member in order and migrate the primary"
                  ).set_defaults(func=cluster_up)
    ha.add_parser("down", help="stop every member (data stays)").set_defaults(func=cluster_down)
    ha_status = ha.add_parser("status", help="every member: kind, role, URL, state, lag")
    ha_status.add_argument("--json", action="store_true", help="as JSON")
    ha_status.set_defaults(func=cluster_status)

    sensor = commands.add_parser("sensors", help="live sensors: parking, car parks, WiFi"
                                 ).add_subparsers(dest="action", required=True)
    ingest = sensor.add_parser("ingest", help="store readings from the broker (runs until stopped)")
    ingest.add_argument("--duration", type=float, help="stop after this many seconds")
    ingest.add_argument("--name", type=ingest_name,
                        help="this worker's name when several share the readings (one each, "
                             "the same after a restart; default DIMOS_SENSORS_INGEST_NAME)")
    ingest.add_argument("--retire", action="store_true",
                        help="take the named worker away for good: store what its broker "
                             "session holds, then end it")
    ingest.set_defaults(func=sensors_ingest)
    simulate = sensor.add_parser("simulate", help="publish plausible readings of the demo's sensors")
    simulate.add_argument("--duration", type=float, help="stop after this many seconds")
    simulate.add_argument("--heartbeat", type=float, default=60.0,
                          help="seconds between a sensor's readings when nothing changes")
    simulate.add_argument("--jurisdiction", help="only this municipality's sensors")
    simulate.set_defaults(func=sensors_simulate)
    sensor.add_parser("status", help="sensors heard from and readings by outcome"
                      ).set_defaults(func=sensors_status)
    maintain = sensor.add_parser("maintain", help="recount hourly aggregates, drop raw months "
                                 "past DIMOS_SENSOR_RETENTION_MONTHS")
    maintain.add_argument("--days", type=int, default=2, help="recount this many days back")
    maintain.set_defaults(func=sensors_maintain)

    changes = commands.add_parser("changes", help="feature changes published on the broker"
                                  ).add_subparsers(dest="action", required=True)
    relay = changes.add_parser("relay", help="publish feature changes as CloudEvents (runs "
                               "until stopped; `dimos serve` starts it)")
    relay.add_argument("--duration", type=float, help="stop after this many seconds")
    relay.set_defaults(func=changes_relay)

    serve_parser = commands.add_parser("serve", help="serve the map and APIs with gunicorn")
    serve_parser.add_argument("--host")
    serve_parser.add_argument("--port", type=int)
    serve_parser.add_argument("--workers", type=int)
    serve_parser.set_defaults(func=serve)

    importing = commands.add_parser(
        "import", help="import a file (Shapefile/zip, GeoPackage, GeoJSON, KML, CSV, DXF, OSM) "
        "into a layer: checked, all or nothing")
    importing.add_argument("path", type=Path)
    importing.add_argument("--layer", required=True, help="the catalogue layer to import into, or "
                           "scanned_plans for a georeferenced scan (GeoTIFF, image + world file)")
    importing.add_argument("--crs", help="the file's CRS (EPSG:2100, EPSG:4326); needed when it "
                           "has none, overrides a wrong one")
    importing.add_argument("--map", action="append", metavar="FIELD=COLUMN",
                           help="the file's column for a layer field (repeatable)")
    importing.add_argument("--set", action="append", metavar="FIELD=VALUE",
                           help="the same value for every feature (repeatable)")
    importing.add_argument("--mode", choices=("append", "upsert", "replace"), default="append",
                           help="append (refuse keys already stored), upsert (update by natural "
                           "key) or replace (the municipality's features of the layer)")
    importing.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    importing.add_argument("--jurisdiction", help="the municipality (needed if there are several)")
    importing.add_argument("--source-layer", action="append", metavar="NAME",
                           help="the layer of a GeoPackage/KML with several; of a DXF, the CAD "
                                "layers to read (repeat, or a comma list)")
    importing.add_argument("--entity-types", action="append", metavar="TYPES",
                           help="DXF entity types to read (LWPOLYLINE,POLYLINE,CIRCLE,LINE,POINT,"
                                "INSERT,TEXT,MTEXT); the rest is skipped and counted")
    importing.add_argument("--encoding", help="attribute encoding (default: .cpg, else detected)")
    importing.add_argument("--skip-outside", action="store_true",
                           help="leave out (and report) features outside the municipality instead "
                           "of refusing the file (a file covering Crete or Greece)")
    importing.add_argument("--attributes-only", action="store_true",
                           help="with --mode upsert: update the mapped fields of stored features by "
                           "natural key, keep their geometry (e.g. census figures from points onto "
                           "settlement boundaries); features not stored are left out")
    importing.set_defaults(func=import_file)
    add_layer_commands(commands)

    exporting = commands.add_parser("export", help="export a layer or a selection to a file")
    exporting.add_argument("layer")
    exporting.add_argument("--format", choices=("gpkg", "shp", "geojson", "csv", "dxf"),
                           default="gpkg")
    exporting.add_argument("--crs", choices=("EPSG:2100", "EPSG:4326"), default="EPSG:2100")
    exporting.add_argument("--filter", help="CQL2 text (coordinates in CRS84)")
    exporting.add_argument("--bbox", help="minx,miny,maxx,maxy")
    exporting.add_argument("--bbox-crs", choices=("EPSG:2100", "EPSG:4326"), default="EPSG:4326")
    exporting.add_argument("--jurisdiction", help="only this municipality's features")
    exporting.add_argument("--private", action="store_true",
                           help="the layer's private fields too (reporters' contact data); "
                                "needs --jurisdiction")
    exporting.add_argument("--lang", choices=("el", "en"), default="el",
                           help="language of the <field>_title columns beside choice codes")
    exporting.add_argument("-o", "--output", type=Path, required=True)
    exporting.set_defaults(func=export_layer)

    commands.add_parser("doctor", help="versions of the stack and the database in use"
                        ).set_defaults(func=doctor)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:  # one line per wrong setting, not a traceback
        for wrong in error.errors():
            first, *rest = [str(part) for part in wrong["loc"]] or [""]
            where = " ".join(filter(None, [f"DIMOS_{first.upper()}" if first else "",
                                           ".".join(rest)]))
            message = wrong["msg"].removeprefix("Value error, ")
            print(f"dimos: error: {where + ': ' if where else ''}{message}", file=sys.stderr)
        return 1
    except SettingsError as error:  # a JSON setting that is not JSON
        print(f"dimos: error: {error}", file=sys.stderr)
        return 1
    try:
        args.func(settings, args)
    except DimosError as error:
        print(f"dimos: error: {error.message}", file=sys.stderr)
        if os.environ.get("DIMOS_DEBUG") and error.detail:
            print(error.detail, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
