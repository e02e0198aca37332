"""Demo data for dimos: the real open data files and the generator built on them."""
