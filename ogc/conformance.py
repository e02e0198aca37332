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
        "test_ogc_features::test_gdal_reads_every_collection_completely",
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
    f"{OGC}/ogcapi-features-4/1.0/conf/create-replace-delete":
        "test_ogc_transactions::test_staff_create_read_replace_and_delete_a_permit",
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

