"""A file uploaded as multipart field ``file``: checked for size and type, saved whole into a
temporary folder of its own, removed whatever happens (POST /api/imports, /api/layers)."""
from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import request

from gis.errors import InvalidParameter, PayloadTooLarge

# an upload's suffixes say its format (.zip, .gpkg, .osm.pbf...): kept, the rest of the name not
SUFFIXES = re.compile(r"((?:\.[A-Za-z0-9]{1,8}){1,2})$")


@dataclass(frozen=True)
class Upload:
    folder: Path  # the temporary folder, the saved copy in it
    path: Path
    file_name: str  # the name the user knows


@contextmanager
def saved_upload(max_mb: int, on_the_server: str, prefix: str) -> Iterator[Upload]:
    """The request's ``file``, saved; 413 above ``max_mb`` (``on_the_server``: the command
    that takes a larger file), 400 without a file or a type suffix."""
    limit = max_mb * 2 ** 20
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the upload is larger than {max_mb} MB; {on_the_server}")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidParameter("file: send the file as multipart/form-data field 'file'")
    suffix = SUFFIXES.search(upload.filename)
    if suffix is None:
        raise InvalidParameter(f"file: {upload.filename!r} has no file type suffix")
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        path = folder / f"upload{suffix.group(1).lower()}"
        upload.save(path)
        if path.stat().st_size > limit:
            raise PayloadTooLarge(f"the upload is larger than {max_mb} MB")
        yield Upload(folder, path, upload.filename)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
