"""Benchmarks: dimos against its peers (tipg, stock pygeoapi) in one run; `make bench`."""
