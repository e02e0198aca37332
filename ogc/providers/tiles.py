"""OGC API Tiles provider: vector tiles from PostGIS (gis/tiles.py) on WebMercatorQuad."""
from __future__ import annotations

from pygeoapi.models.provider.base import TileMatrixSetEnum
from pygeoapi.provider.base import (
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
)
from pygeoapi.provider.base_mvt import BaseMVTProvider
from pygeoapi.provider.mvt_postgresql import MVTPostgreSQLProvider

import layers
from gis.db import pooled_cursor
from gis.errors import DatabaseUnavailable, InvalidParameter
from gis.tiles import TileCache, layer_version, render_tile
from ogc.providers import DatabaseDown

# one per worker process; keys carry the layer's data version, so writes invalidate at once
_CACHES: dict[int, TileCache] = {}
WEB_MERCATOR = TileMatrixSetEnum.WEBMERCATORQUAD.value.tileMatrixSet


class DimosTiles(MVTPostgreSQLProvider):
    """Tiles of one catalogue layer; ``data`` is ``{"layer": id, "database_url": url}``.

    Reuses the stock PostgreSQL tile provider's metadata documents, not its SQL.
    """

    def __init__(self, provider_def):
        BaseMVTProvider.__init__(self, provider_def)  # skip the stock provider's database setup
        self.layer = layers.collection(provider_def["data"]["layer"])
        self.database_url = provider_def["data"]["database_url"]
        self.table = self.layer.table
        size = int(provider_def["data"].get("cache_bytes", 64 * 2 ** 20))
        self.cache = _CACHES.setdefault(size, TileCache(size)) if size else None

    def get_tiling_schemes(self):
        return [TileMatrixSetEnum.WEBMERCATORQUAD.value]

    def get_metadata(self, dataset, server_url, layer=None, tileset=None, *args, **kwargs):
        # the stock provider fails with an UnboundLocalError on an unknown tile matrix set
        if tileset != WEB_MERCATOR:
            raise ProviderItemNotFoundError(
                user_msg=f"tile matrix set {tileset!r} not offered: use {WEB_MERCATOR}")
        return super().get_metadata(dataset, server_url, layer, tileset, *args, **kwargs)

    def get_tiles(self, layer=None, tileset=None, z=None, y=None, x=None, format_=None):
        # a set not offered is a resource that is not there (404, as its metadata); a tile
        # outside the set's matrices is the client's arithmetic (400 saying the range):
        # OGC API - Tiles /req/core/tc-error lets a server answer either
        if tileset != WEB_MERCATOR:
            raise ProviderItemNotFoundError(
                user_msg=f"tile matrix set {tileset!r} not offered: use {WEB_MERCATOR}")
        try:
            z, y, x = int(z), int(y), int(x)
            with pooled_cursor(self.database_url) as cur:
                version, _ = layer_version(cur, self.layer)
                key = (self.database_url, self.layer.id, version, z, x, y)
                tile = self.cache.get(key) if self.cache else None
                if tile is None:
                    tile = render_tile(cur, self.layer, z, x, y)
                    if self.cache:
                        self.cache.put(key, tile)
        except (TypeError, ValueError):
            raise ProviderInvalidQueryError(user_msg="tile: z, row and column must be integers")
        except InvalidParameter as exc:
            raise ProviderInvalidQueryError(user_msg=exc.message) from None
        except DatabaseUnavailable as exc:
            raise DatabaseDown(user_msg=exc.message) from None
        return tile

    def __repr__(self):
        return f"<DimosTiles {self.layer.id}>"
