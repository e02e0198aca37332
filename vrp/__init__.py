"""The crews' vehicle-routing solver (pyvroom): pure computation over a cost matrix, no SQL."""
