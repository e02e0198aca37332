"""Unpacking an uploaded zip without trusting it: sizes, member count and compression ratio are
checked in the central directory before anything is written, and enforced again while each
member is streamed (a header that lies gets no further than what it declared); no member may
name a path outside the temp folder, nor be a link.

Refusals name the archive as the user gave it (``shown``), never a server path.
"""
from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from gis.errors import ImportRefused

MB = 2 ** 20
BLOCK = MB  # copied a megabyte at a time: the limit is checked after every block


@dataclass(frozen=True)
class ArchiveLimits:
    """What one zip may unpack to (settings DIMOS_IMPORT_MAX_UNPACKED_MB, _MAX_MEMBERS,
    _MAX_RATIO). Real shapefile zips inflate 2–20 times; a zip bomb a thousand."""

    max_unpacked_mb: int = 1024
    max_members: int = 1000
    max_ratio: int = 250


def limits_from(settings) -> ArchiveLimits:
    """The limits of settings.Settings (DIMOS_IMPORT_MAX_UNPACKED_MB, ...)."""
    return ArchiveLimits(settings.import_max_unpacked_mb, settings.import_max_members,
                         settings.import_max_ratio)


def open_archive(path: Path, shown: str) -> zipfile.ZipFile:
    """``path`` as a zip whose central directory passes :func:`check_members`."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportRefused(f"{shown}: not a readable zip file (truncated?)") from None
    return archive


def check_members(archive: zipfile.ZipFile, shown: str, limits: ArchiveLimits) -> None:
    """Refuse, before extracting anything, a zip that declares too much or an unsafe member."""
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise ImportRefused(f"{shown}: holds {len(members)} members, more than the "
                            f"{limits.max_members} dimos unpacks (DIMOS_IMPORT_MAX_MEMBERS)")
    total = 0
    for member in members:
        _check_name(member, shown)
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > limits.max_ratio:
            raise ImportRefused(
                f"{shown}: {member.filename} would unpack to {_mb(member.file_size)} MB, "
                f"{ratio:.0f} times its packed size; dimos unpacks at most {limits.max_ratio} "
                "times (DIMOS_IMPORT_MAX_RATIO): is it a zip bomb?")
    if total > limits.max_unpacked_mb * MB:
        raise ImportRefused(f"{shown}: would unpack to {_mb(total)} MB, more than the "
                            f"{limits.max_unpacked_mb} MB dimos unpacks "
                            "(DIMOS_IMPORT_MAX_UNPACKED_MB); import its files one by one")


def _check_name(member: zipfile.ZipInfo, shown: str) -> None:
    """A member's name stays inside the folder it is unpacked into, and it is a plain file."""
    name = member.filename
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or ".." in posix.parts \
            or ".." in windows.parts:
        raise ImportRefused(f"{shown}: the member {name!r} points outside the archive's folder; "
                            "dimos unpacks no such zip")
    if stat.S_ISLNK(member.external_attr >> 16):
        raise ImportRefused(f"{shown}: the member {name!r} is a symbolic link; dimos unpacks "
                            "plain files only")


class Extractor:
    """Streams members of a checked archive to files, counting every byte written against
    the member's declared size and the archive's limit."""

    def __init__(self, archive: zipfile.ZipFile, shown: str, limits: ArchiveLimits):
        self.archive, self.shown, self.limits = archive, shown, limits
        self.written = 0

    def extract(self, member: zipfile.ZipInfo, target: Path) -> Path:
        """Write ``member`` to ``target`` (a name of ours, never the member's); ``target``."""
        limit = self.limits.max_unpacked_mb * MB
        size = 0
        try:
            with self.archive.open(member) as src, target.open("wb") as dst:
                while block := src.read(BLOCK):
                    size += len(block)
                    self.written += len(block)
                    if size > member.file_size or self.written > limit:
                        raise ImportRefused(
                            f"{self.shown}: {member.filename} unpacks to more than its header "
                            f"says (or past the {self.limits.max_unpacked_mb} MB limit, "
                            "DIMOS_IMPORT_MAX_UNPACKED_MB); dimos unpacks no such zip")
                    dst.write(block)
        except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, NotImplementedError,
                RuntimeError, ValueError) as exc:
            raise ImportRefused(f"{self.shown}: cannot unpack {member.filename} (damaged, "
                                "encrypted or packed with a method zip readers rarely know)",
                                detail=repr(exc)) from None
        return target


def _mb(size: int) -> str:
    return f"{size / MB:.0f}"
