"""Photos citizens attach to requests: checked by content, re-encoded without metadata.

Re-encoding the pixels (after turning them upright by their EXIF orientation) is what strips
EXIF, GPS and any other metadata: nothing of the uploaded file but its image is kept.
"""
from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageOps, UnidentifiedImageError

from gis.errors import InvalidParameter, PayloadTooLarge
from gis.service_requests import Photo

MAX_BYTES = 10 * 2 ** 20
MAX_PHOTOS = 3
MAX_PIXELS = 40_000_000  # a phone photo is ~12 MP; more is a decompression bomb
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
SIZES = {"thumb": 320, "large": 1280}



def clean_photo(name: str, data: bytes) -> Photo:
    """The photo in ``data``, metadata stripped; InvalidParameter naming ``name`` if it is not
    a JPEG, PNG or WebP image within the limits."""
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"{name}: {len(data) / 2 ** 20:.1f} MB, more than "
                            f"{MAX_BYTES // 2 ** 20} MB")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            if probe.width * probe.height > MAX_PIXELS:
                raise PayloadTooLarge(f"{name}: {probe.width}×{probe.height} pixels is too many")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidParameter(f"{name}: not a readable JPEG, PNG or WebP image") from None
    if kind not in FORMATS:
        raise InvalidParameter(f"{name}: {kind} images are not accepted; send JPEG, PNG or WebP")
    clean = _encode(upright, kind)
    return Photo(FORMATS[kind], clean, upright.width, upright.height,
                 hashlib.sha256(clean).hexdigest())


def _encode(image: Image.Image, kind: str) -> bytes:
    # a fresh image of the same pixels carries no info/EXIF/ICC/XMP from the upload
    pixels = image.convert("RGB") if kind == "JPEG" or image.mode not in ("RGB", "RGBA", "L") \
        else image
    bare = Image.new(pixels.mode, pixels.size)
    bare.paste(pixels)
    out = io.BytesIO()
    options = {"JPEG": {"quality": 88, "optimize": True}, "PNG": {"optimize": True},
               "WEBP": {"quality": 88}}[kind]
    bare.save(out, format=kind, **options)
    return out.getvalue()


def resized(data: bytes, size: str) -> tuple[bytes, str]:
    """A stored photo scaled to fit ``size`` (thumb, large) as JPEG; the original otherwise."""
    if size not in SIZES:
        raise InvalidParameter(f"size: one of {', '.join(SIZES)}")
    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("RGB")
        image.thumbnail((SIZES[size], SIZES[size]))
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=85)
    return out.getvalue(), "image/jpeg"
