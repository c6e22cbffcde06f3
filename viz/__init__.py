"""Interactive chain maps (pyvis); built in its own issue. Nothing here yet."""
