"""The application layer: the use cases that both front doors (``cli/`` and ``api/``) call.

Each use case takes the deployment's settings (through the :class:`~application.workspace.Workspace`
or the :class:`~application.workspace.Snapshot` of the current data version) and the caller's
:class:`~application.visibility.Visibility`, and applies the county boundary here, once:

- :mod:`application.visibility` — who sees what (the whole city, or one county);
- :mod:`application.workspace` — the store, the analysis per data version, the problem ledger;
- :mod:`application.queries` — firms, projects, links, blocked suppliers, the lists, pages;
- :mod:`application.problems` — the problem ledger: list, register, act;
- :mod:`application.scenarios` — what-if scenarios;
- :mod:`application.documents` — the lists, the ledger and the weekly report as files;
- :mod:`application.maps` — chain maps;
- :mod:`application.imports` — importing a directory of ledger tables;
- :mod:`application.demo` — the demo's problem ledger, worked through these use cases.

It may use the core (:mod:`chain_graph`), ingest, exports and viz; it knows nothing of HTTP
or the terminal. The core knows nothing of it.
"""
