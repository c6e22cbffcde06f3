"""chain-graph's domain core: the model, regions, settings, errors and stores.

It knows nothing of HTTP, HTML or spreadsheets: ``ingest`` turns the bureau's
spreadsheets into :class:`chain_graph.model.LedgerTables`, ``api`` and ``viz`` show them.
"""

import pandas as pd

__version__ = "0.1.0"

# pyarrow is installed for Arrow's CSV reader (ingest.columnar). Where it is installed,
# pandas 3 keeps every text column in Arrow and converts cell by cell whenever the code
# reads Python strings (a national validation took 62 s instead of 43 s): text columns stay
# Python strings, as they were measured and tested.
pd.set_option("mode.string_storage", "python")
