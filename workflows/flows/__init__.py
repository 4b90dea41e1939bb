"""The viewflow processes (orchestration only: the apps' services decide and write)."""
