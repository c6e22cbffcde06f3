"""The HTTP service (FastAPI); built in its own issue. Nothing here yet."""
