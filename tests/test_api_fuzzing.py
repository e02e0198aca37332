"""Schemathesis against the documented APIs: OGC API (/ogc/openapi) and Open311
(/open311/v2/openapi.json), a bounded number of generated requests per operation.

No answer may be a 5xx, and every answer must match the documented schema of its status. Every
operation is called, writes included, with a staff token, so that generated bodies get past the
authorisation check to the code that reads them: on a server and a database of their own, since
the writes change the demo's features.

`make test` runs a few examples per operation; `make fuzz` runs DIMOS_FUZZ_EXAMPLES (100) and
prints how many requests each API got and how many answers were 4xx.
"""
from __future__ import annotations

import collections
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from dimos.demo import load_demo
from gis import migrate
from tests.helpers import serving, token

EXAMPLES = int(os.environ.get("DIMOS_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, response_schema_conformance]
BOUNDED = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def fuzzed_server(make_database, demo, tmp_path_factory):
    """`dimos serve` on a demo database of its own, and a staff token for it."""
    url = make_database("dimos_fuzz")
    migrate.upgrade(url)
    load_demo(url, demo)
    staff = token(url, "fuzzer", "staff")
    with serving(url, tmp_path_factory.mktemp("fuzz-state"), rate_limit_reports_per_min=0,
                 rate_limit_processes_per_min=0, sensors_ingest=0) as base:
        yield base, {"Authorization": f"Bearer {staff}"}


def fuzz(schema, headers: dict) -> tuple[int, collections.Counter, list[str]]:
    """(operations tried, answers by status class, failures as 'METHOD path: what') over every
    documented operation."""
    tried, answers, failures = 0, collections.Counter(), []
    for result in schema.get_all_operations():
        operation = result.ok()
        tried += 1

        @given(case=operation.as_strategy())
        @BOUNDED
        def call(case):
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            answers[f"{response.status_code // 100}xx"] += 1

        try:
            call()
        # schemathesis's failures (an exception group) name the check and the request
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: "
                            f"{str(exc).strip()[:600]}")
    return tried, answers, failures


def _report(api: str, tried: int, answers: collections.Counter) -> None:
    print(f"\n{api}: {tried} operations, {sum(answers.values())} requests "
          f"({EXAMPLES} examples each at most): {dict(sorted(answers.items()))}")


def test_ogc_api_answers_within_its_schema_and_never_with_a_5xx(fuzzed_server):
    base, headers = fuzzed_server
    schema = schemathesis.openapi.from_url(f"{base}/ogc/openapi?f=json")
    tried, answers, failures = fuzz(schema, headers)
    _report("OGC API", tried, answers)
    assert tried > 100  # every collection's items, item, tiles, queryables, writes; processes
    assert answers["2xx"] > 0 and answers["4xx"] > 0  # it got past the checks, and was refused
    assert not failures, "\n\n".join(failures)


def test_open311_answers_within_its_schema_and_never_with_a_5xx(fuzzed_server):
    base, headers = fuzzed_server
    schema = schemathesis.openapi.from_url(f"{base}/open311/v2/openapi.json")
    tried, answers, failures = fuzz(schema, headers)
    _report("Open311", tried, answers)
    # discovery, the reads, the two POSTs (a request, a status update), each in JSON and XML;
    # contact (staff), and photos
    assert tried == 23
    assert answers["2xx"] > 0 and answers["4xx"] > 0
    assert not failures, "\n\n".join(failures)
