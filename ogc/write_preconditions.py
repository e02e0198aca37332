"""Conditional writes of single features (OGC API Features Part 4, optimistic locking): the
request's If-Match (a strong ETag) or If-Unmodified-Since (a Last-Modified date) as a test of
the stored feature, and the state a response names in its ETag and Last-Modified."""
from __future__ import annotations

from flask import g, has_request_context, request

from gis.errors import InvalidParameter
from gis.feature_versions import FeatureState


def write_precondition():
    """The test a write's stored feature must pass; None without a condition: the write goes
    ahead. If-Match wins over If-Unmodified-Since (RFC 9110, 13.1.4)."""
    if not has_request_context():
        return None
    if "If-Match" in request.headers:
        wanted = request.if_match  # strong comparison, as RFC 9110 has it; * is any
        return lambda current: wanted.star_tag or wanted.contains(current.version)
    if "If-Unmodified-Since" in request.headers:
        since = request.if_unmodified_since
        if since is None:
            # RFC 9110 would ignore it, and the write would overwrite what the client meant
            # to protect: refuse instead
            raise InvalidParameter(
                f"If-Unmodified-Since: {request.headers['If-Unmodified-Since']!r} is not an "
                f"HTTP date (e.g. 'Wed, 02 Dec 2026 19:30:00 GMT', as Last-Modified gives it)")
        # a layer that keeps no time of change cannot say it is unchanged
        return lambda current: current.modified_at is not None and current.modified_at <= since
    return None


def name_state(state: FeatureState | None) -> None:
    """The feature a response names in its ETag and Last-Modified (ogc/feature_etags.py sets
    the headers): the one read, written, or standing in the way of a 412."""
    if has_request_context() and state is not None:
        g.feature_etag = state.version
        if state.modified_at is not None:
            g.feature_modified = state.modified_at
