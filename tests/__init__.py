"""The test suite; a package so that tests.fakes is importable from the repository root."""
