"""The Content-Security-Policy of dimos' pages (dimos/security_headers.py sets it on every
response; views with inline scripts of their own, the route sheet, add their hashes)."""
from __future__ import annotations

from urllib.parse import urlsplit

from settings import Settings

POLICY_HEADER = "Content-Security-Policy"


def _basemap_origin(url: str) -> str:
    """The origin of the basemap's tile URL template ({s}.tile… as a wildcard), or ''."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = parts.netloc.replace("{s}", "*")
    return f"{parts.scheme}://{host}"


def content_security_policy(settings: Settings, script_sources: tuple[str, ...] = ()) -> str:
    """The policy, with ``script_sources`` ('nonce-…', 'sha256-…') allowed besides 'self'."""
    images = " ".join(filter(None, ["'self'", "data:", "blob:",
                                    _basemap_origin(settings.basemap_url)]))
    return "; ".join([
        "default-src 'self'",
        " ".join(["script-src 'self'", *script_sources]),
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])
