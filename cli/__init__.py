"""The ``chain-graph`` command line (Typer): ingest, synth, template, demo."""
