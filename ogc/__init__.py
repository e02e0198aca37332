"""OGC API integration (pygeoapi configuration, providers, processes): built on the catalogue."""
