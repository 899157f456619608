"""Usage storage and the report: the only place that touches SQLite."""
