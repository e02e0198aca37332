"""OGC API – Processes 1.0 (18-062r2) as the official test suite (ets-ogcapi-processes10,
checklist ogc/ets/processes10.txt) checks it, against the live server: each test names the
abstract tests it stands for; ogc/conformance.py maps the suite's lines here.

The suite runs one "echo" process; these run every process of dimos with the example its
description gives. As the suite does, documents are validated against the standard's schemas
(tests/schemas/processes-1.0: core/openapi/schemas of opengeospatial/ogcapi-processes, branch
1.0.0-maintenance, commit 52a53a4, as published under schemas.opengis.net/ogcapi/processes/
part1/1.0) and answers against the server's own API definition, operation by operation id."""
from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import requests
import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
JSON = "application/json"
SCHEMAS = Path(__file__).parent / "schemas" / "processes-1.0"
SCHEMA_BASE = "https://schemas.opengis.net/ogcapi/processes/part1/1.0/openapi/schemas/"
EXCEPTIONS = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
RESULTS_REL = "http://www.opengis.net/def/rel/ogc/1.0/results"
EXECUTE_REL = "http://www.opengis.net/def/rel/ogc/1.0/execute"
REGISTRY = Registry().with_resources(
    (SCHEMA_BASE + path.name, Resource.from_contents(yaml.safe_load(path.read_text()),
                                                     default_specification=DRAFT4))
    for path in SCHEMAS.glob("*.yaml"))
#: a plan the solver works on for seconds (every open request, two crews): a job to watch
CREWS = [{"id": key, "depot": {"type": "Point", "coordinates": [24.48, 35.364]},
          "shift_start": "2026-11-24T07:00:00+02:00", "shift_end": "2026-11-24T15:00:00+02:00",
          "skills": ["pothole", "street_light", "rubbish", "graffiti", "tree", "water_leak",
                     "illegal_parking", "stray_animals", "sidewalk"]} for key in ("A", "B")]


def schema_errors(name: str, document) -> list[str]:
    """What is wrong with ``document`` by the standard's schema ``name`` (e.g. process.yaml)."""
    validator = OAS30Validator({"$ref": SCHEMA_BASE + name}, registry=REGISTRY)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(document)]


def _pointer(*parts: str) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def api_errors(api: dict, operation_id: str, response: requests.Response) -> list[str]:
    """What is wrong with ``response`` by the operation ``operation_id`` of the API
    definition: its status described (or a default), its media type and its body's schema."""
    found = [(path, method) for path, item in api["paths"].items() for method, operation
             in item.items() if isinstance(operation, dict)
             and operation.get("operationId") == operation_id]
    assert len(found) == 1, f"{operation_id}: {len(found)} operations"
    path, method = found[0]
    responses = api["paths"][path][method]["responses"]
    status = str(response.status_code)
    key = status if status in responses else "default"
    if key not in responses:
        return [f"{operation_id}: status {status} is not described"]
    described = responses[key]
    pointer = ["paths", path, method, "responses", key]
    if "$ref" in described:
        pointer = described["$ref"].lstrip("#/").split("/")
        described = api
        for part in pointer:
            described = described[part]
    content = described.get("content")
    if not content:
        return []
    media = response.headers.get("Content-Type", "").split(";")[0].strip()
    if media not in content:
        return [f"{operation_id} {status}: {media} is not among {sorted(content)}"]
    schema = {"$ref": "urn:api#" + _pointer(*pointer, "content", media, "schema")}
    registry = Registry().with_resource("urn:api", Resource.from_contents(
        api, default_specification=DRAFT4))
    return [error.message for error in
            OAS30Validator(schema, registry=registry).iter_errors(response.json())]


@pytest.fixture(scope="module")
def ogc(live_server):
    return f"{live_server}/ogc"


@pytest.fixture(scope="module")
def api(ogc):
    return requests.get(f"{ogc}/openapi", headers={"Accept": OPENAPI}, timeout=60).json()


def get(url: str, **params) -> requests.Response:
    return requests.get(url, params=params, headers={"Accept": JSON}, timeout=60)


@pytest.fixture(scope="module")
def described(ogc, api) -> dict[str, dict]:
    """Every process the API definition names → its description (as JSON)."""
    ids = [path.split("/")[2] for path in api["paths"]
           if path.startswith("/processes/") and path.count("/") == 2 and "{" not in path]
    assert len(ids) >= 5
    return {process: get(f"{ogc}/processes/{process}").json() for process in ids}


def execute(ogc: str, process: str, body: dict, **headers) -> requests.Response:
    return requests.post(f"{ogc}/processes/{process}/execution", json=body, timeout=120,
                         headers={"Accept": JSON, **headers})


def example(description: dict) -> dict:
    return {"inputs": description["example"]["inputs"]}


def test_processes_take_a_limit_as_the_standard_defines_it(api):
    """Abstract test 9 (/req/core/pl-limit-definition): GET /processes takes ``limit``, an
    optional integer query parameter (form, not exploded) from 1, default 10; the suite
    validates ``?limit=10`` against the operation."""
    (operation,) = [item["get"] for item in [api["paths"]["/processes"]]]
    assert operation["operationId"] == "getProcesses"
    (limit,) = [p for p in operation["parameters"] if p.get("name") == "limit"]
    assert (limit["in"], limit["required"], limit["style"], limit["explode"]) == \
        ("query", False, "form", False)
    schema = limit["schema"]
    assert schema["type"] == "integer" and schema["minimum"] == 1 and schema["default"] == 10
    assert schema["minimum"] <= 10 <= schema.get("maximum", 10)


@pytest.mark.parametrize("limit", [1, 2])
def test_a_limit_bounds_the_list_and_next_links_page_through_every_process(ogc, limit):
    """Abstract tests 11 and 12 (/req/core/pl-links, pl-limit-response): a page lists at most
    ``limit`` processes and links itself and its other representations; ``next`` links lead
    through every process once, in the list's order, and the last page has none."""
    every = [p["id"] for p in get(f"{ogc}/processes", limit=100).json()["processes"]]
    assert len(every) > limit
    seen, url, params, pages = [], f"{ogc}/processes", {"limit": limit}, 0
    while url:
        page = get(url, **params).json()
        pages += 1
        assert 1 <= len(page["processes"]) <= limit, url
        seen += [p["id"] for p in page["processes"]]
        rels = {link["rel"] for link in page["links"]}
        assert "self" in rels and "alternate" in rels, url
        assert ("prev" in rels) == (pages > 1), url
        nexts = [link["href"] for link in page["links"] if link["rel"] == "next"]
        url, params = (nexts[0], {}) if nexts else (None, {})
    assert seen == every and pages == -(-len(every) // limit)


def test_the_process_list_is_a_process_list_of_every_process(ogc, api, described):
    """Abstract tests 8 and 10 (/req/core/process-list, process-list-success): /processes
    answers 200 with a document valid by processList.yaml and by the API definition
    (getProcesses), naming every process."""
    answer = get(f"{ogc}/processes")
    assert answer.status_code == 200
    body = answer.json()
    assert schema_errors("processList.yaml", body) == []
    assert api_errors(api, "getProcesses", answer) == []
    assert {p["id"] for p in body["processes"]} == set(described)


def test_each_process_is_described_as_an_ogc_process_description(ogc, api, described):
    """Abstract tests 13 and 14 (/req/core/process, process-success) and the
    ogc-process-description class (json-encoding, inputs-def, input-def, outputs-def,
    output-def): each /processes/{id} answers 200 with a description valid by process.yaml
    and by the API definition (getProcessDescription), every input and output with a schema,
    linking its execution."""
    for process in described:
        answer = get(f"{ogc}/processes/{process}")
        assert answer.status_code == 200, process
        body = answer.json()
        assert body["id"] == process
        assert schema_errors("process.yaml", body) == [], process
        assert api_errors(api, "getProcessDescription", answer) == [], process
        assert body["inputs"] and body["outputs"], process
        for kind in ("inputs", "outputs"):
            for name, item in body[kind].items():
                assert isinstance(item.get("schema"), dict), (process, kind, name)
        assert any(link["rel"] == EXECUTE_REL for link in body["links"]), process


def _schemas(node):
    """Every schema within ``node`` (itself, its items, properties and alternatives)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas(value)


def test_a_value_of_several_types_is_described_with_one_of(described):
    """/req/ogc-process-description/input-mixed-type and output-mixed-type: an input or
    output that takes values of more than one type says so with ``oneOf``, not with a list
    of types (the suite reads ``oneOf``; it finds none in dimos's processes, which each take
    one type per input, and skips)."""
    for process, body in described.items():
        for kind in ("inputs", "outputs"):
            for name, item in body[kind].items():
                for schema in _schemas(item["schema"]):
                    assert not isinstance(schema.get("type"), list), (process, name)
                    assert "anyOf" not in schema, (process, name)


def test_an_unknown_process_is_a_404_of_type_no_such_process(ogc, api):
    """Abstract test 15 (/req/core/process-exception-no-such-process): an unknown process,
    described or executed, is a 404 exception of type no-such-process, valid by exception.yaml
    and by the API definition."""
    unknown = f"invalid-process-{uuid.uuid4()}"
    answers = {"described": get(f"{ogc}/processes/{unknown}"),
               "executed": execute(ogc, unknown, {"inputs": {}})}
    for what, answer in answers.items():
        assert answer.status_code == 404, what
        assert answer.json()["type"] == EXCEPTIONS + "no-such-process", what
        assert schema_errors("exception.yaml", answer.json()) == [], what
    assert api_errors(api, "getProcessDescription", answers["described"]) == []


def _monitor(answer: requests.Response) -> list[str]:
    return [link["url"] for link in requests.utils.parse_header_links(
        answer.headers.get("Link", "")) if link.get("rel") == "monitor"]


def test_each_process_runs_its_example_synchronously_by_default(ogc, api, described):
    """Abstract tests 16–21 and 39 (/req/core/job-creation-op: the default execution mode and
    the default outputs; job-creation-request, job-creation-inputs, job-creation-input-inline;
    job-results-sync): an execute request without ``Prefer`` and without ``outputs``, its
    inputs inline, answers 200 with the process's one output in its media type, valid by the
    API definition (execute); a ``monitor`` link, if any, leads to a successful job. (The
    suite does not validate its own requests by execute.yaml: the 1.0 schema's ``oneOf`` of
    number and integer rejects any integer, ogcapi-processes issue 350.)"""
    for process, description in described.items():
        answer = execute(ogc, process, example(description))
        assert answer.status_code == 200, (process, answer.text)
        ((output, item),) = description["outputs"].items()
        assert answer.headers["Content-Type"].split(";")[0] == \
            item["schema"].get("contentMediaType", JSON), process
        assert api_errors(api, "execute", answer) == [], process
        for url in _monitor(answer):
            assert get(url).json()["status"] == "successful", process


def test_a_synchronous_execution_names_no_job(ogc, described):
    """A synchronous run is kept nowhere (ogc/jobs.py), so its answer carries no Location (a
    Location to /jobs/<id> was a 404): neither its 200 nor the 400 of a bad input; the
    asynchronous run's Location leads to its job (test_a_job_asked_for_runs_…)."""
    for process, description in described.items():
        answer = execute(ogc, process, example(description))
        assert answer.status_code == 200, (process, answer.text)
        assert "Location" not in answer.headers, (process, answer.headers.get("Location"))
    refused = execute(ogc, "nearest", {"inputs": {"layer": "refuge_areas", "count": -1, "location": {
        "type": "Point", "coordinates": [24.4747, 35.3676]}}})
    assert refused.status_code == 400, refused.text
    assert "Location" not in refused.headers, refused.headers.get("Location")


def qualified(inputs: dict) -> dict:
    """The inputs with each object given as a qualified value, as 18-062r2 writes an object
    inline (qualifiedInputValue.yaml) and the suite sends one."""
    return {name: {"value": value, "mediaType": "application/geo+json"}
            if isinstance(value, dict) else value for name, value in inputs.items()}


def test_an_object_input_is_taken_inline_bare_or_as_a_qualified_value(ogc, described):
    """Abstract tests 24 and 25 (/req/core/job-creation-input-inline-object,
    job-creation-input-inline-mixed): an object input (a GeoJSON geometry) is taken inline,
    as the object or as a qualified value ``{"value": …, "mediaType": …}``, with the same
    result; a process with crews (objects in an array) takes them too."""
    for process in ("nearest", "planning-report", "parking-nearest-free"):
        inputs = example(described[process])["inputs"]
        assert any(isinstance(value, dict) for value in inputs.values()), process
        bare = execute(ogc, process, {"inputs": inputs})
        wrapped = execute(ogc, process, {"inputs": qualified(inputs)})
        assert bare.status_code == wrapped.status_code == 200, (process, wrapped.text)
        assert wrapped.json() == bare.json(), process
    crews = execute(ogc, "plan-crew-routes", {"inputs": {
        "filter": "service_code = 'graffiti'", "time_limit_s": 1,
        "crews": [{"value": crew, "mediaType": "application/json"} for crew in CREWS[:1]]}})
    assert crews.status_code == 200, crews.text
    assert crews.json()["routes"][0]["crew"] == "A"


def test_a_document_response_holds_each_output_by_its_id(ogc, described):
    """Abstract test 33 (/req/core/job-creation-sync-document): ``"response": "document"``
    answers 200 with a results document (results.yaml): each output under its id, the value
    a raw response gives qualified by its media type (results.yaml takes an object as a
    qualified value)."""
    here = {"type": "Point", "coordinates": [24.4747, 35.3676]}
    for process in ("nearest", "parking-nearest-free"):
        inputs = {"location": here, "count": 3, **({"layer": "parking_bays"}
                                                   if process == "nearest" else {})}
        raw = execute(ogc, process, {"inputs": inputs})
        document = execute(ogc, process, {"inputs": inputs, "response": "document"})
        assert document.status_code == 200, document.text
        assert document.headers["Content-Type"].split(";")[0] == JSON
        body = document.json()
        assert schema_errors("results.yaml", body) == [], process
        assert body == {"features": {"value": raw.json(),
                                     "mediaType": "application/geo+json"}}, process


def test_a_raw_response_of_an_output_asked_by_value_is_that_output(ogc, described):
    """Abstract tests 28, 30–32 (/req/core/job-creation-sync-raw-value-one,
    raw-value-multi, raw-mixed-multi, raw-ref): ``"response": "raw"`` with the outputs asked
    for by value answers 200 with the output itself. Each process of dimos has one output and
    offers it by value only, so a raw answer is always that one value (no multipart), as the
    suite's requests (every output by value) find."""
    for process, description in described.items():
        assert len(description["outputs"]) == 1, process
        assert description["outputTransmission"] == ["value"], process
    inputs = {"layer": "parking_bays", "count": 2,
              "location": {"type": "Point", "coordinates": [24.4747, 35.3676]}}
    plain = execute(ogc, "nearest", {"inputs": inputs})
    raw = execute(ogc, "nearest", {"inputs": inputs, "response": "raw",
                                   "outputs": {"features": {"transmissionMode": "value"}}})
    assert raw.status_code == 200, raw.text
    assert raw.json() == plain.json() and raw.json()["type"] == "FeatureCollection"


def test_an_array_input_is_taken_inline(ogc, demo_url):
    """Abstract test 23 (/req/core/job-creation-input-array): an input of type array is
    given as a JSON array and each of its items is honoured (bay types of the free bays)."""
    here = {"type": "Point", "coordinates": [24.4747, 35.3676]}
    for kinds in (["disabled"], ["disabled", "loading"]):
        answer = execute(ogc, "parking-nearest-free", {"inputs": {
            "location": here, "count": 20, "bay_types": kinds}})
        assert answer.status_code == 200, answer.text
        found = {f["properties"]["bay_type"] for f in answer.json()["features"]}
        assert found and found <= set(kinds), kinds


def _is_binary(schema: dict) -> bool:
    return schema.get("type") == "string" and bool(
        schema.get("contentMediaType") or schema.get("contentEncoding")
        or schema.get("format") in ("binary", "byte"))


def _is_bbox(schema: dict) -> bool:
    return schema.get("format") == "ogc-bbox" or "bbox.yaml" in str(schema.get("$ref", "")) \
        or set(schema.get("required", [])) == {"bbox"}


def test_no_process_takes_a_bounding_box_or_a_binary_value(described):
    """Abstract tests 21, 22 and 27 (/req/core/job-creation-input-binary, input-ref,
    input-inline-bbox): how a bounding box or a binary value (inline in base64, or by
    reference) is given. The suite looks for such inputs (bbox.yaml, a string schema with a
    media type) and, finding none, runs the process with its other inputs, as
    test_each_process_runs_its_example_synchronously_by_default does; no input of dimos's
    processes is either, which this checks (a new one must get a test of its own)."""
    for process, description in described.items():
        for name, item in description["inputs"].items():
            for schema in _schemas(item["schema"]):
                assert not _is_binary(schema), (process, name)
                assert not _is_bbox(schema), (process, name)


@pytest.mark.parametrize(("process", "inputs", "named"), [
    ("nearest", {"layer": {"type": f"wrong/type_{uuid.uuid4()}"}, "location": {
        "type": "Point", "coordinates": [24.47, 35.36]}}, "layer"),
    ("planning-report", {"location": {"type": f"wrong/type_{uuid.uuid4()}"}}, "location"),
    ("parking-nearest-free", {"location": {"type": "Point", "coordinates": [24.47, 35.36]},
                              "count": "many"}, "count"),
    ("plan-crew-routes", {"crews": "A"}, "crews"),
])
def test_a_value_against_its_schema_is_a_400_exception_naming_the_input(
        ogc, api, process, inputs, named):
    """Abstract test /conf/core/job-creation-input-validation: a value in violation of its
    input's schema (the suite sends ``{"type": "wrong/type_…"}``) is a 400 exception in JSON,
    valid by exception.yaml, that names the input."""
    answer = execute(ogc, process, {"inputs": inputs})
    assert answer.status_code == 400, answer.text
    assert answer.headers["Content-Type"].split(";")[0] == JSON
    body = answer.json()
    assert schema_errors("exception.yaml", body) == []
    assert named in body["description"]


def test_a_request_that_is_no_execute_request_fails_with_an_exception(ogc, api, described):
    """Abstract test 47 (/req/core/job-results-failed): the suite's
    ``{"invalid-execute-request": "true)"}`` fails with an error status (4xx) and an exception
    valid by exception.yaml and by the API definition (execute)."""
    for process in described:
        answer = execute(ogc, process, {"invalid-execute-request": "true)"})
        assert 400 <= answer.status_code < 500, (process, answer.text)
        assert schema_errors("exception.yaml", answer.json()) == [], process
        assert api_errors(api, "execute", answer) == [], process


def _start_job(ogc: str, body: dict) -> requests.Response:
    return execute(ogc, "plan-crew-routes", body, Prefer="respond-async")


def _finished(url: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = get(url).json()
        if status["status"] in ("successful", "failed", "dismissed"):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.5)


@pytest.mark.parametrize("response", [None, "raw", "document"])
def test_a_job_asked_for_runs_asynchronously_and_its_status_leads_to_its_results(
        ogc, api, response):
    """Abstract tests 16, 34–36, 38 and 40–44 (/req/core/job-creation-op: auto execution
    mode; job-creation-success-async, job, job-success, job-results,
    job-results-async-document, -raw-value-one, -raw-value-multi, -raw-mixed-multi,
    -raw-ref): ``Prefer: respond-async`` answers 201 with the job's status (statusInfo.yaml)
    and its Location; the status there is valid by statusInfo.yaml and by the API definition
    (getStatus) while the job runs and once it succeeded, with times in RFC 3339; its results
    link answers 200 with the plan (getResult)."""
    body = {"inputs": {"filter": "service_code = 'graffiti'", "crews": CREWS[:1],
                       "time_limit_s": 1}}
    if response:
        body["response"] = response
        body["outputs"] = {"plan": {"transmissionMode": "value"}}
    answer = _start_job(ogc, body)
    assert answer.status_code == 201, answer.text
    assert schema_errors("statusInfo.yaml", answer.json()) == []
    assert api_errors(api, "execute", answer) == []
    location = answer.headers["Location"]
    running = get(location)
    assert running.status_code == 200
    assert schema_errors("statusInfo.yaml", running.json()) == []
    assert api_errors(api, "getStatus", running) == []
    status = _finished(location)
    assert status["status"] == "successful", status
    assert schema_errors("statusInfo.yaml", status) == []
    assert status["jobID"] == answer.json()["jobID"] and status["processID"] == \
        "plan-crew-routes"
    (results,) = [link["href"] for link in status["links"] if link["rel"] == RESULTS_REL]
    got = get(results)
    assert got.status_code == 200, got.text
    assert api_errors(api, "getResult", got) == []
    plan = got.json()
    plan = plan.get("outputs", [plan])[0] if response == "document" else plan  # as stored
    assert plan["routes"][0]["crew"] == "A"


def test_results_of_a_job_still_running_are_a_404_of_type_result_not_ready(ogc, api):
    """Abstract test 46 (/req/core/job-results-exception-results-not-ready): the results of a
    job not finished are a 404 exception of type result-not-ready (exception.yaml); a plan of
    every open request for two crews keeps the solver busy for its five seconds."""
    answer = _start_job(ogc, {"inputs": {"crews": CREWS, "time_limit_s": 5}})
    assert answer.status_code == 201, answer.text
    location = answer.headers["Location"]
    early = get(f"{location}/results")
    assert get(location).json()["status"] in ("accepted", "running")  # still, after it
    assert early.status_code == 404, early.text
    assert early.json()["type"] == EXCEPTIONS + "result-not-ready"
    assert schema_errors("exception.yaml", early.json()) == []
    assert api_errors(api, "getResult", early) == []
    assert _finished(location)["status"] == "successful"


def test_an_unknown_job_is_a_404_of_type_no_such_job(ogc, api):
    """Abstract tests 37 and /conf/core/job-results-no-such-job
    (/req/core/job-exception-no-such-job, job-results-exception-no-such-job): an unknown job,
    its status or its results, is a 404 exception of type no-such-job, valid by
    exception.yaml and by the API definition (getStatus, getResult)."""
    unknown = f"{ogc}/jobs/invalid-job-{uuid.uuid4()}"
    for operation, url in (("getStatus", unknown), ("getResult", f"{unknown}/results")):
        answer = get(url)
        assert answer.status_code == 404, url
        assert answer.json()["type"] == EXCEPTIONS + "no-such-job", url
        assert schema_errors("exception.yaml", answer.json()) == [], url
        assert api_errors(api, operation, answer) == [], url
