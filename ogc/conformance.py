"""The conformance classes dimos declares: exactly those a test exercises.

pygeoapi declares every class its code paths might meet (callbacks, schemas, property roles);
dimos replaces that list with this one (ogc/patches.py), and each class names the test that proves it
(``tests/test_ogc_conformance.py`` checks every named test exists and the served list is this).
"""
from __future__ import annotations

OGC = "http://www.opengis.net/spec"

#: conformance class URI → the test (module::function) that exercises it
CLASSES = {
    f"{OGC}/ogcapi-common-1/1.0/conf/core":
        "test_ogc_conformance::test_landing_page_links_and_every_html_page_works_offline",
    f"{OGC}/ogcapi-common-1/1.0/conf/landing-page":
        "test_ogc_conformance::test_landing_page_links_and_every_html_page_works_offline",
    f"{OGC}/ogcapi-common-1/1.0/conf/json":
        "test_ogc_conformance::test_landing_page_links_and_every_html_page_works_offline",
    f"{OGC}/ogcapi-common-1/1.0/conf/html":
        "test_ogc_conformance::test_landing_page_links_and_every_html_page_works_offline",
    f"{OGC}/ogcapi-common-1/1.0/conf/oas30":
        "test_ogc_conformance::test_openapi_describes_every_collection_and_process",
    f"{OGC}/ogcapi-common-2/1.0/conf/collections":
        "test_ogc_features::test_every_catalogue_layer_is_a_collection_with_greek_and_english_titles",
    f"{OGC}/ogcapi-features-1/1.0/conf/core":
        "test_ogc_features::test_owslib_lists_collections_and_reads_items_with_bbox_and_filter",
    f"{OGC}/ogcapi-features-1/1.0/conf/geojson":
        "test_ogc_features::test_gdal_reads_every_collection_completely_with_its_one_geometry_type",
    f"{OGC}/ogcapi-features-1/1.0/conf/html":
        "test_ogc_features::test_one_item_by_id_in_json_and_html",
    f"{OGC}/ogcapi-features-1/1.0/conf/oas30":
        "test_ogc_conformance::test_openapi_describes_every_collection_and_process",
    f"{OGC}/ogcapi-features-2/1.0/conf/crs":
        "test_ogc_features::test_a_planner_gets_zones_in_greek_grid_matching_the_stored_coordinates",
    f"{OGC}/ogcapi-features-3/1.0/conf/queryables":
        "test_ogc_conformance::test_queryables_list_the_public_fields_only",
    f"{OGC}/ogcapi-features-3/1.0/conf/queryables-query-parameters":
        "test_ogc_conformance::test_a_queryable_as_a_query_parameter_filters",
    f"{OGC}/ogcapi-features-3/1.0/conf/filter":
        "test_ogc_features::test_zones_with_coefficient_above_1_2_intersecting_a_drawn_polygon",
    f"{OGC}/ogcapi-features-3/1.0/conf/features-filter":
        "test_ogc_features::test_zones_with_coefficient_above_1_2_intersecting_a_drawn_polygon",
    f"{OGC}/ogcapi-features-5/1.0/conf/schemas":
        "test_ogc_conformance::test_owslib_reads_the_schema_queryables_and_sortables_of_every_"
        "collection",
    f"{OGC}/ogcapi-features-5/1.0/conf/returnables-and-receivables":
        "test_ogc_conformance::test_owslib_reads_the_schema_queryables_and_sortables_of_every_"
        "collection",
    f"{OGC}/ogcapi-features-5/1.0/conf/queryables":
        "test_ogc_conformance::test_a_filter_takes_every_queryable_and_nothing_else",
    f"{OGC}/ogcapi-features-5/1.0/conf/sortables":
        "test_ogc_conformance::test_sortby_takes_every_sortable_and_nothing_else",
    f"{OGC}/ogcapi-features-4/1.0/conf/create-replace-delete":
        "test_ogc_transactions::test_staff_create_read_replace_and_delete_a_permit",
    # Part 4 (draft 20-002, clause 2): PATCH with a JSON Merge Patch, and If-Match on a
    # strong ETag or If-Unmodified-Since on a feature's Last-Modified (gis/feature_versions.py)
    f"{OGC}/ogcapi-features-4/1.0/conf/update":
        "test_ogc_optimistic_locking::test_a_merge_patch_removes_with_null_replaces_geometry_"
        "and_keeps_the_rest",
    f"{OGC}/ogcapi-features-4/1.0/conf/optimistic-locking-etags":
        "test_ogc_optimistic_locking::test_put_and_delete_with_a_stale_if_match_are_412_and_"
        "with_the_current_succeed",
    f"{OGC}/ogcapi-features-4/1.0/conf/optimistic-locking-timestamps":
        "test_ogc_optimistic_locking::test_writes_with_a_stale_if_unmodified_since_are_412_and_"
        "with_the_last_modified_succeed",
    f"{OGC}/cql2/1.0/conf/cql2-text":
        "test_ogc_features::test_zones_with_coefficient_above_1_2_intersecting_a_drawn_polygon",
    f"{OGC}/cql2/1.0/conf/cql2-json":
        "test_ogc_conformance::test_cql2_json_and_text_select_the_same_features",
    f"{OGC}/cql2/1.0/conf/basic-cql2":
        "test_ogc_conformance::test_cql2_json_and_text_select_the_same_features",
    f"{OGC}/cql2/1.0/conf/advanced-comparison-operators":
        "test_ogc_conformance::test_like_between_and_in_match_postgresql",
    f"{OGC}/cql2/1.0/conf/basic-spatial-functions":
        "test_ogc_conformance::test_every_spatial_function_matches_postgis",
    f"{OGC}/cql2/1.0/conf/spatial-functions":
        "test_ogc_conformance::test_every_spatial_function_matches_postgis",
    f"{OGC}/ogcapi-tiles-1/1.0/conf/core":
        "test_ogc_tiles::test_a_z16_tile_holds_every_bay_of_the_old_town_with_public_attributes",
    f"{OGC}/ogcapi-tiles-1/1.0/conf/mvt":
        "test_ogc_tiles::test_a_z16_tile_holds_every_bay_of_the_old_town_with_public_attributes",
    f"{OGC}/ogcapi-tiles-1/1.0/conf/tileset":
        "test_ogc_conformance::test_tilesets_list_and_tileset_metadata",
    f"{OGC}/ogcapi-tiles-1/1.0/conf/tilesets-list":
        "test_ogc_conformance::test_tilesets_list_and_tileset_metadata",
    f"{OGC}/ogcapi-tiles-1/1.0/conf/geodata-tilesets":
        "test_ogc_conformance::test_tilesets_list_and_tileset_metadata",
    f"{OGC}/ogcapi-processes-1/1.0/conf/core":
        "test_ogc_processes::test_nearest_free_bays_are_sorted_with_distances_in_metres",
    f"{OGC}/ogcapi-processes-1/1.0/conf/json":
        "test_ogc_processes::test_both_processes_are_listed_with_greek_and_english_titles",
    f"{OGC}/ogcapi-processes-1/1.0/conf/ogc-process-description":
        "test_ogc_processes::test_both_processes_are_listed_with_greek_and_english_titles",
    f"{OGC}/ogcapi-processes-1/1.0/conf/oas30":
        "test_ogc_conformance::test_openapi_describes_every_collection_and_process",
}



# The official test suites' checklists (ogc/ets/*.txt, one line per TestNG test): each line,
# by its exact text, → the conformance class it tests and either the tests of ours that check
# the same requirement, or why it does not apply (a class dimos does not declare), or that no
# test of ours checks it yet (its class is then left out of the rule below, and the line is
# listed as pending). A declared class's lines must all map to tests; a class with lines that
# are all not-applicable must not be declared (tests/test_ogc_conformance.py checks both).
# Lines the suite repeats (one description, several TestNG methods) share one entry: the
# mapped tests cover every repetition.

F1 = f"{OGC}/ogcapi-features-1/1.0/conf/core"
F2 = f"{OGC}/ogcapi-features-2/1.0/conf/crs"
T_CORE = f"{OGC}/ogcapi-tiles-1/1.0/conf/core"
T_OAS = f"{OGC}/ogcapi-tiles-1/1.0/conf/oas30"
T_DATASET = f"{OGC}/ogcapi-tiles-1/1.0/conf/dataset-tilesets"
T_GEODATA = f"{OGC}/ogcapi-tiles-1/1.0/conf/geodata-tilesets"
T_LIST = f"{OGC}/ogcapi-tiles-1/1.0/conf/tilesets-list"
P_CORE = f"{OGC}/ogcapi-processes-1/1.0/conf/core"
P_DESCRIPTION = f"{OGC}/ogcapi-processes-1/1.0/conf/ogc-process-description"
P_JOB_LIST = f"{OGC}/ogcapi-processes-1/1.0/conf/job-list"

TESTED, NOT_APPLICABLE, PENDING = "tested", "not applicable", "pending"

EF = "test_ets_features::"


def tested(conf: str, *tests: str) -> tuple:
    return (conf, TESTED, tests)


def not_applicable(conf: str, reason: str) -> tuple:
    return (conf, NOT_APPLICABLE, reason)


def pending(conf: str, reason: str = "no test of ours checks it yet") -> tuple:
    return (conf, PENDING, reason)


def _features_line(line: str) -> tuple:
    """features10.txt: the tests of test_ets_features by the requirement a line names."""
    suite_class = line.split(":", 1)[0]
    part2 = {
        "CrsRequirementClassPrecondition": "test_crs_part_2_is_declared",
        "BBoxCrsParameter": "test_a_bbox_in_another_crs_selects_what_its_crs84_twin_does",
        "BBoxCrsParameterDefault": "test_a_bbox_in_another_crs_selects_what_its_crs84_twin_does",
        "BBoxCrsParameterInvalid": "test_a_bbox_crs_not_offered_is_a_400",
    }
    if suite_class in part2:
        return tested(F2, EF + part2[suite_class])
    if suite_class.startswith("Discovery"):
        return tested(F2, EF + "test_each_collection_lists_its_crs_and_storage_crs_as_uris")
    if "CrsParameter" in suite_class:
        if suite_class.endswith("Default"):
            return tested(F2, EF + "test_without_crs_items_and_a_feature_are_crs84")
        if suite_class.endswith("Invalid"):
            return tested(F2, EF + "test_a_crs_not_offered_is_a_400")
        return tested(F2, EF + "test_items_and_a_feature_in_each_crs_say_so_and_match_the_"
                               "stored_coordinates")
    whole = {
        "ApiDefinition": "test_the_api_definition_is_a_valid_openapi_3_document_linked_as_"
                         "service_desc",
        "Feature": "test_a_feature_links_itself_in_every_format_and_its_collection",
        "FeatureCollection": "test_each_collection_is_described_as_in_the_collections_list",
        "FeatureCollections": "test_collections_link_themselves_in_every_format_and_list_"
                              "every_layer",
        "Conformance": "test_conformance_lists_features_core",
        "GeneralHttp": "test_the_landing_page_links_the_api_definition_conformance_and_data_"
                       "over_http_1_1",
        "LandingPage": "test_the_landing_page_links_the_api_definition_conformance_and_data_"
                       "over_http_1_1",
    }
    if suite_class in whole:
        return tested(F1, EF + whole[suite_class])
    by_requirement = [  # the first requirement a line names decides
        ("fc-timeStamp", ["test_items_carry_the_time_they_were_answered"]),
        ("fc-numberMatched", ["test_number_matched_is_every_feature_the_request_selects"]),
        ("fc-numberReturned", ["test_number_returned_counts_the_features_of_the_page"]),
        ("fc-links", ["test_items_are_a_feature_collection_linking_itself_in_every_format"]),
        ("/req/core/crs84", ["test_geometries_are_crs84_within_the_collection_extent"]),
        ("-definition)", ["test_limit_bbox_and_datetime_are_defined_as_the_standard_says"]),
        ("fc-limit-response", ["test_a_limit_bounds_the_features_returned"]),
        ("fc-bbox-response", ["test_features_in_a_bbox_meet_it",
                              "test_a_box_across_the_antimeridian_is_its_two_halves"]),
        ("fc-time-response", ["test_number_matched_is_every_feature_the_request_selects",
                              "test_items_are_a_feature_collection_linking_itself_in_every_"
                              "format"]),
        ("query-param-invalid", ["test_an_invalid_parameter_value_is_a_400"]),
        ("query-param-unknown", ["test_a_parameter_the_api_definition_does_not_name_is_a_"
                                 "free_form_one"]),
        ("fc-response)", ["test_items_are_a_feature_collection_linking_itself_in_every_format"]),
        ("fc-op)", ["test_items_are_a_feature_collection_linking_itself_in_every_format"]),
    ]
    for requirement, tests in by_requirement:
        if requirement in line:
            extra = (["test_ogc_features::test_datetime_selects_the_zones_in_force_on_a_date"]
                     if requirement == "fc-time-response" else [])
            return tested(F1, *(EF + test for test in tests), *extra)
    return pending(F1, "no rule of ogc/conformance.py names it")


TILES_CORE_TILE = "test_ogc_tiles::test_a_z16_tile_holds_every_bay_of_the_old_town_with_public_attributes"
TILES_ERROR = "test_ogc_tiles::test_invalid_tile_coordinates_are_a_400"
SERVED = "test_ogc_conformance::test_conformance_declares_exactly_the_classes_with_a_test"
TILESETS = "test_ogc_conformance::test_tilesets_list_and_tileset_metadata"
ET = "test_ets_tiles::"
TILE_TEMPLATE = ET + "test_each_tileset_links_a_tile_template_naming_tile_matrix_row_and_col"

_TILES = {
    'ApiDefinition: "Implements Abstract test A.23, Requirement 22: /req/oas30/completeness"':
        not_applicable(T_OAS, "dimos does not declare Tiles /conf/oas30 (its OpenAPI document is "
                              "checked under Common and Features oas30)"),
    'ApiDefinition: "Implements Abstract test A.24, Requirement 23: /req/oas30/operation-id"':
        not_applicable(T_OAS, "dimos does not declare Tiles /conf/oas30"),
    'Conformance: "Implements Abstract test A.1, Requirement 7: /req/core/conformance-success"':
        tested(T_CORE, SERVED),
    'Tile: "Implements Abstract test A.2, Requirement 1: /req/core/tc-op"':
        tested(T_CORE, TILES_CORE_TILE),
    'Tile: "Implements Abstract test A.6, Requirement 5: /req/core/tc-success"':
        tested(T_CORE, TILES_CORE_TILE),
    'Tile: "Implements Abstract test A.7: /conf/core/tc-error, Requirement 6: /req/core/tc-error"':
        tested(T_CORE, TILES_ERROR),
    'Tile: "Implements Abstract test A.3, Requirement 2: /req/core/tc-tilematrix-definition"':
        tested(T_CORE, TILE_TEMPLATE),
    'Tile: "Implements Abstract test A.4, Requirement 3: /req/core/tc-tilerow-definition"':
        tested(T_CORE, TILE_TEMPLATE),
    'Tile: "Implements Abstract test A.5, Requirement 4: /req/core/tc-tilecol-definition"':
        tested(T_CORE, TILE_TEMPLATE),
    'MandatoryCore: "Implements Abstract test A.2, Requirement 1: /req/core/tc-op"':
        tested(T_CORE, TILES_CORE_TILE),
    'MandatoryCore: "Implements Abstract test A.6, Requirement 5: /req/core/tc-success"':
        tested(T_CORE, TILES_CORE_TILE),
    'MandatoryCore: "Implements Abstract test A.7, Requirement 6: /req/core/tc-error"':
        tested(T_CORE, TILES_ERROR),
    'LandingPage: "Implements Abstract test A.10, addresses Requirement 11"':
        not_applicable(T_DATASET, "dimos serves tiles per collection only: no dataset tilesets, "
                                  "/conf/dataset-tilesets is not declared"),
    'GeospatialDataResource: "Implements Abstract test A.12, addresses Requirement 13"':
        tested(T_GEODATA, ET + "test_a_collection_links_its_tilesets_list"),
    'GeospatialDataResource: "Implements Abstract test A.13, addresses Requirement 14"':
        tested(T_GEODATA, TILESETS),
    'TilesetLlinks: "Implements Abstract test A.9, addresses Requirement 10 '
    '(/req/tilesets-list/tileset-links)"':
        tested(T_LIST, ET + "test_tilesets_lists_are_under_tiles_and_name_their_tile_matrix_set"),
}

EP = "test_ets_processes::"
PROCESS_LISTED = "test_ogc_processes::test_both_processes_are_listed_with_greek_and_english_titles"
PROCESS_BAD_INPUT = "test_ogc_processes::test_bad_input_is_a_400_naming_the_input"
DESCRIBED = EP + "test_each_process_is_described_as_an_ogc_process_description"
MIXED = EP + "test_a_value_of_several_types_is_described_with_one_of"
SYNC = EP + "test_each_process_runs_its_example_synchronously_by_default"
OBJECT = EP + "test_an_object_input_is_taken_inline_bare_or_as_a_qualified_value"
RAW = EP + "test_a_raw_response_of_an_output_asked_by_value_is_that_output"
NO_BBOX_NOR_BINARY = EP + "test_no_process_takes_a_bounding_box_or_a_binary_value"
ASYNC = EP + "test_a_job_asked_for_runs_asynchronously_and_its_status_leads_to_its_results"
NO_SUCH_JOB = EP + "test_an_unknown_job_is_a_404_of_type_no_such_job"
#: a requirement the suite's line names (with the space that ends it in the checklist, so that
#: job-creation-op does not match job-creation-op-…) → the tests of ours that check it
_PROCESS_TESTS = {
    "/conf/core/conformance-success": [SERVED],
    "/req/core/http)": [EF + "test_the_landing_page_links_the_api_definition_conformance_and_"
                             "data_over_http_1_1"],
    "/conf/core/landingpage-": ["test_ogc_conformance::test_landing_page_links_and_every_html_"
                                "page_works_offline"],
    # ProcessList
    "/req/core/pl-limit-definition ": [EP + "test_processes_take_a_limit_as_the_standard_"
                                            "defines_it"],
    "/req/core/pl-limit-response ": [EP + "test_a_limit_bounds_the_list_and_next_links_page_"
                                          "through_every_process"],
    "/req/core/pl-links ": [EP + "test_a_limit_bounds_the_list_and_next_links_page_through_"
                                 "every_process"],
    "/req/core/process-list ": [EP + "test_the_process_list_is_a_process_list_of_every_"
                                     "process", PROCESS_LISTED],
    "/req/core/process-list-success ": [EP + "test_the_process_list_is_a_process_list_of_"
                                             "every_process"],
    # Process, OGCProcessDescription
    "/req/core/process-exception-no-such-process ": [EP + "test_an_unknown_process_is_a_404_"
                                                          "of_type_no_such_process"],
    "/req/core/process ": [DESCRIBED, PROCESS_LISTED],
    "/req/core/process-success ": [DESCRIBED],
    "/req/ogc-process-description/json-encoding": [DESCRIBED],
    "/req/ogc-process-description/inputs-def": [DESCRIBED],
    "/req/ogc-process-description/input-def": [DESCRIBED],
    "/req/ogc-process-description/input-mixed-type": [MIXED],
    "/req/ogc-process-description/outputs-def": [DESCRIBED],
    "/req/ogc-process-description/output-def ": [DESCRIBED],
    "/req/ogc-process-description/output-mixed-type": [MIXED],
    # Jobs: creation
    "/req/core/job-creation-op ": [SYNC, ASYNC],
    "/req/core/job-creation-request ": [SYNC, ASYNC],
    "/req/core/job-creation-inputs ": [SYNC],
    "/req/core/job-creation-input-inline ": [SYNC],
    "/req/core/job-creation-input-inline-object ": [OBJECT],
    "/req/core/job-creation-input-inline-mixed ": [OBJECT, MIXED],
    "/req/core/job-creation-input-array ": [EP + "test_an_array_input_is_taken_inline"],
    "/req/core/job-creation-input-inline-bbox ": [NO_BBOX_NOR_BINARY],
    "/req/core/job-creation-input-binary ": [NO_BBOX_NOR_BINARY, SYNC],
    "/req/core/job-creation-input-ref ": [NO_BBOX_NOR_BINARY, SYNC],
    "/req/core/job-creation-input-validation ": [
        EP + "test_a_value_against_its_schema_is_a_400_exception_naming_the_input",
        PROCESS_BAD_INPUT],
    "/req/core/job-creation-success-async ": [ASYNC],
    "/req/core/job-creation-sync-document ": [EP + "test_a_document_response_holds_each_"
                                                   "output_by_its_id"],
    "/req/core/job-creation-sync-raw-mixed-multi ": [RAW],
    "/req/core/job-creation-sync-raw-ref ": [RAW],
    "/req/core/job-creation-sync-raw-value-multi ": [RAW],
    "/req/core/job-creation-sync-raw-value-one ": [RAW],
    # Jobs: status and results
    "/req/core/job-exception-no-such-job ": [NO_SUCH_JOB],
    "/req/core/job ": [ASYNC],
    "/req/core/job-success ": [ASYNC],
    "/req/core/job-results-exception-no-such-job ": [NO_SUCH_JOB],
    "/req/core/job-results-exception-results-not-ready ": [
        EP + "test_results_of_a_job_still_running_are_a_404_of_type_result_not_ready"],
    "/req/core/job-results-failed ": [EP + "test_a_request_that_is_no_execute_request_fails_"
                                           "with_an_exception", PROCESS_BAD_INPUT],
    "/req/core/job-results ": [ASYNC],
    "/req/core/job-results-async-document ": [ASYNC],
    "/req/core/job-results-async-raw-mixed-multi ": [ASYNC, RAW],
    "/req/core/job-results-async-raw-ref ": [ASYNC, RAW],
    "/req/core/job-results-async-raw-value-multi ": [ASYNC, RAW],
    "/req/core/job-results-async-raw-value-one ": [ASYNC],
    "/req/core/job-results-sync ": [SYNC],
}


def _processes_line(line: str) -> tuple:
    suite_class = line.split(":", 1)[0]
    if suite_class == "JobList":
        return not_applicable(P_JOB_LIST, JOB_LIST_REASON)
    conf = P_DESCRIPTION if suite_class == "OGCProcessDescription" else P_CORE
    for requirement, tests in _PROCESS_TESTS.items():
        if requirement in line:
            return tested(conf, *tests)
    return pending(conf)


JOB_LIST_REASON = (
    "dimos does not declare /conf/job-list: /jobs shows a signed-in person their own jobs and "
    "staff their municipality's, an anonymous caller none, where the suite, signed out, "
    "expects the jobs it started; and the class's filters (type, processID, status, "
    "datetime, minDuration, maxDuration) are not implemented")


def checklist(name: str, lines: list[str]) -> dict[str, tuple]:
    """Every line of one checklist file (comments aside) → its mapping."""
    rule = {"features10.txt": _features_line, "processes10.txt": _processes_line,
            "tiles10.txt": lambda line: _TILES.get(line)}[name]
    return {line: rule(line) for line in lines if line and not line.startswith("#")}
