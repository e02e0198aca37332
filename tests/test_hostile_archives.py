"""Hostile archives: a zip that expands to a gigabyte, lies about its sizes, holds thousands of
members or paths outside the temp folder is refused in under a second, writes nothing beyond
the upload itself, and says so naming the archive as the user called it, never a server path —
through `dimos import` and through POST /api/imports."""
from __future__ import annotations

import shutil
import stat
import struct
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Polygon

from dimos.cli import main
from gis import db
from tests.test_importers import X0, Y0, _upload, checksum, rethymno_database

GIB = 2 ** 30
BLOCK = 2 ** 24  # 16 MiB of zeros, deflated once


@pytest.fixture(scope="module")
def url(make_database):
    return rethymno_database(make_database, "dimos_hostile_zip")


@pytest.fixture
def temp(tmp_path, monkeypatch) -> Path:
    """The folder every temporary file goes to (TMPDIR and tempfile's cached choice)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def dimos(url, tmp_path, monkeypatch, capsys):
    """`dimos ARGS...` in this process: (exit code, stdout, stderr, seconds taken)."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DIMOS_STATE_DIR", str(tmp_path / "state"))

    def run(*args):
        started = time.monotonic()
        code = main([str(a) for a in args])
        taken = time.monotonic() - started
        out, err = capsys.readouterr()
        return code, out, err, taken
    return run


@pytest.fixture(scope="module")
def web(url, tmp_path_factory):
    from accounts.tokens import issue_token
    from dimos.app import create_app
    from settings import Settings

    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        staff = issue_token(cur, "hostile-zip-staff", "staff")
    conn.close()
    app = create_app(Settings(database_url=url, import_max_mb=25,
                              state_dir=tmp_path_factory.mktemp("state")), with_ogc=False)
    return app.test_client(), staff


def _deflated_zeros(size: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``size`` zero bytes and its CRC-32, in well under a second.

    zlib at level 9 takes ~17 s of CPU for a gigabyte here; after a full flush the compressor
    starts afresh, so every 16 MiB block deflates to the same bytes: deflate one, repeat it."""
    assert size % BLOCK == 0
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(BLOCK)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert first == again
    crc = 0
    for _ in range(size // BLOCK):
        crc = zlib.crc32(zeros, crc)
    return first * (size // BLOCK) + compressor.flush(zlib.Z_FINISH), crc


def zip_of_zeros(path: Path, name: str, size: int, declared: int | None = None) -> Path:
    """A zip with one deflated member ``name`` of ``size`` zeros whose headers say it holds
    ``declared`` bytes (default: the truth), written record by record (APPNOTE 4.3)."""
    data, crc = _deflated_zeros(size)
    declared = size if declared is None else declared
    if declared != size:
        crc = zlib.crc32(bytes(declared))  # a careful liar: the CRC fits what it declares
    encoded = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), declared,
                        len(encoded), 0) + encoded
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(data),
                          declared, len(encoded), 0, 0, 0, 0, 0, 0) + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    path.write_bytes(local + data + central + end)
    return path


def test_the_zip_builder_makes_real_zips(tmp_path):
    """The hand-made zip is one zipfile reads back byte for byte (a small one: 32 MiB)."""
    path = zip_of_zeros(tmp_path / "small.zip", "data.shp", 2 * BLOCK)
    with zipfile.ZipFile(path) as archive:
        (member,) = archive.infolist()
        assert (member.filename, member.file_size) == ("data.shp", 2 * BLOCK)
        assert archive.testzip() is None  # every CRC checks
        assert archive.read(member) == bytes(2 * BLOCK)


def _disk_used(folder: Path) -> int:
    return shutil.disk_usage(folder).used


def _left_in(folder: Path) -> list[str]:
    return [str(p.relative_to(folder)) for p in folder.rglob("*")]


def _assert_no_server_path(message: str, *folders: Path) -> None:
    for folder in folders:
        assert str(folder) not in message
    assert "dimos-import-" not in message and "dimos-upload-" not in message
    assert "/tmp" not in message


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """1 MB that expands to 1 GiB of zeros named like a shapefile."""
    path = zip_of_zeros(tmp_path_factory.mktemp("bomb") / "ktiria.zip", "ktiria/ktiria.shp", GIB)
    assert path.stat().st_size < 2 ** 20
    return path


def test_a_zip_bomb_is_refused_in_under_a_second_with_nothing_unpacked(url, dimos, temp, bomb):
    before, used = checksum(url, "buildings"), _disk_used(temp)
    code, _, err, taken = dimos("import", bomb, "--layer", "buildings", "--crs", "EPSG:2100")
    assert code == 1 and taken < 1.0, (code, taken, err)
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "ktiria.zip" in err and "MB" in err, err
    _assert_no_server_path(err, temp)
    assert _left_in(temp) == []
    assert _disk_used(temp) - used < 100 * 2 ** 20  # a gigabyte was not written
    assert checksum(url, "buildings") == before


def test_an_uploaded_zip_bomb_answers_422_naming_the_upload(url, web, temp, bomb):
    client, staff = web
    before, used = checksum(url, "buildings"), _disk_used(temp)
    started = time.monotonic()
    answer = _upload(client, staff, bomb, layer="buildings", crs="EPSG:2100")
    taken = time.monotonic() - started
    assert answer.status_code == 422 and taken < 1.0, (answer.status_code, taken, answer.json)
    description = answer.json["description"]
    assert description.startswith("ktiria.zip: ") and "MB" in description, description
    _assert_no_server_path(description, temp)
    assert _left_in(temp) == []
    assert _disk_used(temp) - used < 100 * 2 ** 20
    assert checksum(url, "buildings") == before


def test_a_zip_whose_headers_understate_its_member_is_stopped_while_unpacking(url, dimos, temp,
                                                                              tmp_path,
                                                                              monkeypatch):
    """Headers say 1 MB (ratio 1:1), the data inflates to a gigabyte: no more than the declared
    megabyte is ever written (the unpacker counts what it writes against the header and the
    limit), and the rest is never inflated."""
    liar = zip_of_zeros(tmp_path / "liar.zip", "liar.shp", GIB, declared=2 ** 20)
    monkeypatch.setenv("DIMOS_IMPORT_MAX_UNPACKED_MB", "10")
    code, _, err, taken = dimos("import", liar, "--layer", "buildings", "--crs", "EPSG:2100")
    assert code == 1 and taken < 1.0, (code, taken, err)
    assert "liar.zip" in err and "Traceback" not in err and err.count("\n") == 1
    _assert_no_server_path(err, temp)
    assert _left_in(temp) == []


def test_a_zip_of_many_members_is_refused_before_unpacking(url, dimos, web, temp, tmp_path):
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("many/data.shp", b"")
        for i in range(5000):
            archive.writestr(f"many/{i}.txt", b"")
    assert many.stat().st_size < 2 ** 20
    code, _, err, taken = dimos("import", many, "--layer", "buildings", "--crs", "EPSG:2100")
    assert code == 1 and taken < 1.0 and "many.zip" in err and "5001 members" in err, err
    assert _left_in(temp) == []
    client, staff = web
    answer = _upload(client, staff, many, layer="buildings")
    assert answer.status_code == 422 and "5001 members" in answer.json["description"]
    assert _left_in(temp) == []


@pytest.mark.parametrize("member", ["../../escaped.shp", "/etc/escaped.shp", "a/../../escaped.shp",
                                    "C:\\escaped.shp", "link.shp"])
def test_a_member_whose_path_leaves_the_folder_is_refused(url, dimos, web, temp, tmp_path, member):
    archive = tmp_path / "slip.zip"
    with zipfile.ZipFile(archive, "w") as z:
        info = zipfile.ZipInfo(member)
        if member == "link.shp":  # a symbolic link to a file of the server
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, "/etc/passwd")
        else:
            z.writestr(info, b"\0" * 100)
        z.writestr("slip.dbf", b"\0" * 100)
    code, _, err, _ = dimos("import", archive, "--layer", "buildings", "--crs", "EPSG:2100")
    assert code == 1 and "slip.zip" in err and "Traceback" not in err, err
    assert ("is a symbolic link" if member == "link.shp" else "points outside") in err, err
    _assert_no_server_path(err, temp)
    assert _left_in(temp) == [] and not (tmp_path / "escaped.shp").exists()
    client, staff = web
    answer = _upload(client, staff, archive, layer="buildings")
    assert answer.status_code == 422, answer.json
    _assert_no_server_path(answer.json["description"], temp)
    assert _left_in(temp) == []


def test_the_limits_are_settings_and_an_ordinary_zip_still_imports(url, dimos, temp, tmp_path,
                                                                  monkeypatch):
    square = Polygon([(X0, Y0), (X0 + 12, Y0), (X0 + 12, Y0 + 9), (X0, Y0 + 9)])
    folder = tmp_path / "shp"
    folder.mkdir()
    frame = gpd.GeoDataFrame({"bid": [f"HZ{i}" for i in range(3000)],
                              "name": ["x" * 200] * 3000},
                             geometry=[square] * 3000, crs=2100)
    pyogrio.write_dataframe(frame, folder / "ktiria.shp", encoding="utf-8")
    archive = tmp_path / "ktiria.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for part in folder.iterdir():
            z.write(part, f"Κτίρια/{part.name}")
    unpacked = sum(m.file_size for m in zipfile.ZipFile(archive).infolist())
    assert unpacked > 2 ** 20
    monkeypatch.setenv("DIMOS_IMPORT_MAX_UNPACKED_MB", "1")
    code, _, err, _ = dimos("import", archive, "--layer", "buildings", "--map", "building_id=bid")
    assert code == 1 and "ktiria.zip" in err and "1 MB" in err, err
    monkeypatch.setenv("DIMOS_IMPORT_MAX_UNPACKED_MB", "100")
    monkeypatch.setenv("DIMOS_IMPORT_MAX_RATIO", "2")  # text of 200 x's packs far tighter
    code, _, err, _ = dimos("import", archive, "--layer", "buildings", "--map", "building_id=bid")
    assert code == 1 and "ktiria.zip" in err and "times its packed size" in err, err
    monkeypatch.delenv("DIMOS_IMPORT_MAX_RATIO")
    code, out, err, _ = dimos("import", archive, "--layer", "buildings", "--map", "building_id=bid")
    assert code == 0, err
    assert "3000 added" in out
    assert _left_in(temp) == []


def test_a_disk_that_fills_while_unpacking_is_one_line_and_leaves_nothing(url, temp, tmp_path):
    """The kernel refuses writes past 2 MB (RLIMIT_FSIZE, as on a full disk): the real `dimos`
    says the disk is full in one line, and the half-unpacked member is removed."""
    import os
    import resource
    import subprocess

    from tests.helpers import DIMOS

    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big/big.shp", os.urandom(4 * 2 ** 20))  # incompressible: ratio 1
        z.writestr("big/big.shx", b"")
        z.writestr("big/big.dbf", b"")

    def small_disk():
        resource.setrlimit(resource.RLIMIT_FSIZE, (2 * 2 ** 20, 2 * 2 ** 20))

    done = subprocess.run([DIMOS, "import", str(archive), "--layer", "buildings", "--crs",
                           "EPSG:2100"], capture_output=True, text=True, timeout=60,
                          preexec_fn=small_disk,
                          env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "TMPDIR": str(temp),
                               "DIMOS_STATE_DIR": str(tmp_path / "state")})
    assert done.returncode == 1, done
    assert done.stderr == "dimos: error: the server's disk is full: nothing imported; try again later\n"
    assert _left_in(temp) == []
