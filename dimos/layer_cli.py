"""``dimos layer``: publish a file as a layer, and the layer's life after (list, show, update,
retire, restore, delete)."""
from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from pathlib import Path

from gis import db, layer_life, published_layers
from gis.errors import InvalidParameter
from layers.model import Field
from layers.spec import FIELD_TYPES, layer_to_spec
from settings import Settings


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    pairs = {}
    for value in values or []:
        key, sep, given = value.partition("=")
        if not sep or not key.strip() or not given.strip():
            raise InvalidParameter(f"{option} {value!r}: write it as NAME=VALUE")
        pairs[key.strip()] = given.strip()
    return pairs


def _roles(value: str | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(r.strip() for r in value.split(",") if r.strip())


def publish(settings: Settings, args) -> None:
    from importers.archives import limits_from
    from importers.pipeline import ImportOptions
    from importers.publish import PublishOptions
    from importers.publish import publish as publish_file

    url = settings.effective_database_url
    db.require_schema(url)
    base = ImportOptions(
        path=args.path, layer_id=args.id, crs=args.crs, dry_run=args.dry_run,
        jurisdiction=args.jurisdiction, source_layer=args.source_layer, encoding=args.encoding,
        skip_outside=args.skip_outside, actor=_actor(),
        fallback_report_dir=settings.state_dir / "imports", archive_limits=limits_from(settings))
    layer, result = publish_file(url, PublishOptions(
        path=args.path, layer_id=args.id, title_el=args.title_el, title_en=args.title_en,
        key=args.key, description_el=args.description_el or "",
        description_en=args.description_en or "", private=tuple(args.private or ()),
        rename=_pairs(args.rename, "--rename"), leave_out=tuple(args.leave_out or ()),
        types=_pairs(args.type, "--type"), units=_pairs(args.unit, "--unit"),
        time=tuple(part.strip() for part in (args.time or "").split(",") if part.strip()),
        color=args.color, editors=_roles(args.editors) or (), import_options=base))
    verb = "would publish" if result.dry_run else "published"
    fields = ", ".join(f"{f.name} ({f.type}{', private' if f.private else ''})"
                       for f in layer.fields)
    print(f"{verb} {layer.id} ({layer.geometry_type}, {result.source_crs}): {result.counts.added} "
          f"features of {result.read} read into {result.jurisdiction_id}, "
          f"{result.skipped} left out; key {layer.natural_key[0]}; fields {fields}")
    if result.report:
        print(f"repairs and left-out rows are listed in {result.report}")


def _status(entry) -> str:
    return f"retired {entry.retired_at:%Y-%m-%d %H:%M}" if entry.retired else "published"


def list_layers(settings: Settings, args) -> None:
    with db.pooled_cursor(settings.effective_database_url) as cur:
        found = published_layers.entries(cur)
    if args.json:
        print(json.dumps([{"id": e.layer.id, "title": {"el": e.layer.title_el,
                                                        "en": e.layer.title_en},
                           "status": "retired" if e.retired else "published",
                           "created_by": e.created_by} for e in found], ensure_ascii=False))
        return
    for e in found:
        print(f"{e.layer.id}\t{_status(e)}\t{e.layer.geometry_type}\t{e.layer.title_en} / "
              f"{e.layer.title_el}")
    if not found:
        print("no layer published yet (dimos layer publish FILE ...)")


def show(settings: Settings, args) -> None:
    with db.pooled_cursor(settings.effective_database_url) as cur:
        found = layer_life.entry(cur, args.id)
    print(json.dumps({"status": "retired" if found.retired else "published",
                      "created_by": found.created_by, "created_at": found.created_at.isoformat(),
                      "updated_at": found.updated_at.isoformat(),
                      "spec": layer_to_spec(found.layer)}, ensure_ascii=False, indent=1))


def _field(value: str) -> Field:
    name, sep, kind = value.partition(":")
    if not sep or kind not in FIELD_TYPES:
        raise InvalidParameter(f"--add-field {value!r}: write it as NAME:TYPE, TYPE one of "
                               f"{', '.join(FIELD_TYPES)}")
    from importers.publish import MAX_NAME, NAME, SYSTEM_COLUMNS

    if not NAME.match(name) or len(name) > MAX_NAME or name in SYSTEM_COLUMNS:
        raise InvalidParameter(f"--add-field {name!r}: lower-case Latin letters, digits and _, "
                               f"at most {MAX_NAME}, not a column every layer has")
    return Field(name, kind, title_el=name, title_en=name)


def _titles(values: list[str] | None) -> dict[str, tuple[str, str]]:
    titles = {}
    for name, both in _pairs(values, "--field-title").items():
        el, sep, en = both.partition("|")
        if not sep or not el.strip() or not en.strip():
            raise InvalidParameter(f"--field-title {name}={both!r}: write it as "
                                   "NAME=Ελληνικά|English")
        titles[name] = (el.strip(), en.strip())
    return titles


def update(settings: Settings, args) -> None:
    with db.pooled_cursor(settings.effective_database_url, commit=True, actor=_actor()) as cur:
        layer = layer_life.update(
            cur, args.id, _actor(), title_el=args.title_el, title_en=args.title_en,
            color=args.color, editors=_roles(args.editors),
            field_titles=_titles(args.field_title),
            add_fields=tuple(_field(v) for v in args.add_field or ()))
    print(f"updated {layer.id}: {layer.title_en} / {layer.title_el}")


def retire(settings: Settings, args) -> None:
    with db.pooled_cursor(settings.effective_database_url, commit=True, actor=_actor()) as cur:
        layer = layer_life.retire(cur, args.id, _actor())
    print(f"retired {layer.id}: served nowhere, its data kept (dimos layer restore {layer.id})")


def restore(settings: Settings, args) -> None:
    with db.pooled_cursor(settings.effective_database_url, commit=True, actor=_actor()) as cur:
        layer = layer_life.restore(cur, args.id, _actor())
    print(f"restored {layer.id}: served again")


def delete(settings: Settings, args) -> None:
    from servers.backup import backup_tables

    if args.confirm != args.id:
        raise InvalidParameter(f"delete {args.id}: its features go for good; confirm with "
                               f"--confirm {args.id}")
    url = settings.effective_database_url
    with db.pooled_cursor(url) as cur:
        layer = layer_life.entry(cur, args.id).layer
    folder = args.backup_dir or settings.state_dir / "layer-backups"
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{layer.id}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    tables = [layer.table] + ([layer.private_table] if layer.private_fields else [])
    size = backup_tables(url, stem.with_suffix(".dump"), tables)
    stem.with_suffix(".json").write_text(json.dumps(layer_to_spec(layer), ensure_ascii=False,
                                                    indent=1), encoding="utf-8")
    with db.pooled_cursor(url, commit=True, actor=_actor()) as cur:
        layer_life.delete(cur, args.id, _actor())
    print(f"deleted {layer.id}; its tables are backed up in {stem}.dump ({size / 1024:.0f} kB, "
          f"pg_restore --table), its definition in {stem}.json")


def add_layer_commands(commands) -> None:
    layer = commands.add_parser("layer", help="layers published from files (no code, no "
                                "restart)").add_subparsers(dest="action", required=True)
    making = layer.add_parser("publish", help="publish a file as a new layer: table, import, "
                              "OGC collection, tiles and legend entry in one step")
    making.add_argument("path", type=Path)
    making.add_argument("--id", required=True, help="the layer's id (lower case, e.g. "
                        "street_lights): its collection's and table's name")
    making.add_argument("--title-el", required=True)
    making.add_argument("--title-en", required=True)
    making.add_argument("--description-el")
    making.add_argument("--description-en")
    making.add_argument("--key", required=True, help="the field that names a feature (unique in "
                        "a municipality): later files upsert by it")
    making.add_argument("--private", action="append", metavar="FIELD",
                        help="a field kept out of every public output (repeatable)")
    making.add_argument("--rename", action="append", metavar="COLUMN=FIELD",
                        help="the field name of a column (default: the column's, in lower-case "
                             "Latin)")
    making.add_argument("--leave-out", action="append", metavar="COLUMN",
                        help="a column not to publish (repeatable)")
    making.add_argument("--type", action="append", metavar="FIELD=TYPE",
                        help=f"a field's type instead of the file's ({', '.join(FIELD_TYPES)}), "
                             "e.g. installed=date for dates written as text")
    making.add_argument("--unit", action="append", metavar="FIELD=UNIT",
                        help="a field's unit, shown in the legend and schemas (m, W, EUR...)")
    making.add_argument("--time", metavar="START[,END]",
                        help="the date or timestamptz field(s) of a feature's time (OGC datetime)")
    making.add_argument("--color", default="#3182bd", help="the map's colour (#rrggbb)")
    making.add_argument("--editors", help="roles besides staff that may edit its features "
                        "(comma-separated); staff edit every editable layer")
    making.add_argument("--jurisdiction", help="the municipality the file's features are in")
    making.add_argument("--crs", help="the file's CRS when it has none (EPSG:2100, EPSG:4326)")
    making.add_argument("--encoding", help="attribute encoding (default: .cpg, else detected)")
    making.add_argument("--source-layer", help="the layer of a GeoPackage/KML with several")
    making.add_argument("--skip-outside", action="store_true",
                        help="leave out features outside the municipality")
    making.add_argument("--dry-run", action="store_true",
                        help="infer, check and count; create nothing")
    making.set_defaults(func=publish)

    listing = layer.add_parser("list", help="the published layers and their state")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=list_layers)
    showing = layer.add_parser("show", help="a published layer's definition")
    showing.add_argument("id")
    showing.set_defaults(func=show)
    changing = layer.add_parser("update", help="retitle, restyle, add a field, change editors")
    changing.add_argument("id")
    changing.add_argument("--title-el")
    changing.add_argument("--title-en")
    changing.add_argument("--color")
    changing.add_argument("--editors", help="roles besides staff (comma-separated; '' for none)")
    changing.add_argument("--field-title", action="append", metavar="FIELD=ΕΛ|EN")
    changing.add_argument("--add-field", action="append", metavar="NAME:TYPE")
    changing.set_defaults(func=update)
    for action, func, text in (("retire", retire, "serve it nowhere, keep its data"),
                               ("restore", restore, "serve a retired layer again")):
        parser = layer.add_parser(action, help=text)
        parser.add_argument("id")
        parser.set_defaults(func=func)
    deleting = layer.add_parser("delete", help="delete a layer and its data (after a backup)")
    deleting.add_argument("id")
    deleting.add_argument("--confirm", metavar="ID", help="the layer's id again")
    deleting.add_argument("--backup-dir", type=Path,
                          help="where the backup goes (default: .dimos/layer-backups)")
    deleting.set_defaults(func=delete)

