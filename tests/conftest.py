"""Fixtures shared by the suite's own tests. The package is installed (editable) by `make`."""
