"""chain-graph's domain core: the model, regions, settings, errors and stores.

It knows nothing of HTTP, HTML or spreadsheets: ``ingest`` turns the bureau's
spreadsheets into :class:`chain_graph.model.LedgerTables`, ``api`` and ``viz`` show them.
"""

__version__ = "0.1.0"
