"""Schemathesis against the documented APIs: OGC API (/ogc/openapi) and Open311
(/open311/v2/openapi.json), a bounded number of generated requests per operation.

No answer may be a 5xx, and every answer must match the documented schema of its status.
Writes are left out (PUT/DELETE need a staff token and would only meet 401; Open311 POSTs
would fill the session's database with citizens' requests other tests count); POSTs that
read (CQL2 searches, process executions) are in.
"""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

EXAMPLES = 5
CHECKS = [not_a_server_error, response_schema_conformance]
BOUNDED = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))


def fuzz(schema, skip_methods: set[str]) -> tuple[int, list[str]]:
    """(operations tried, failures as 'METHOD path: what') over every documented operation."""
    tried, failures = 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() in skip_methods:
            continue
        tried += 1

        @given(case=operation.as_strategy())
        @BOUNDED
        def call(case):
            case.call_and_validate(checks=CHECKS)

        try:
            call()
        # schemathesis's failures (an exception group) name the check and the request
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: "
                            f"{str(exc).strip()[:600]}")
    return tried, failures


def test_ogc_api_answers_within_its_schema_and_never_with_a_5xx(live_server):
    schema = schemathesis.openapi.from_url(f"{live_server}/ogc/openapi?f=json")
    tried, failures = fuzz(schema, {"PUT", "DELETE", "OPTIONS"})
    assert tried > 100  # every collection's items, item, tiles, queryables; every process
    assert not failures, "\n\n".join(failures)


def test_open311_answers_within_its_schema_and_never_with_a_5xx(live_server):
    schema = schemathesis.openapi.from_url(f"{live_server}/open311/v2/openapi.json")
    tried, failures = fuzz(schema, {"POST"})
    assert tried == 7
    assert not failures, "\n\n".join(failures)
