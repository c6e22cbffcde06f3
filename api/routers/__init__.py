"""One router per resource: firms/projects/links, analysis, coordination, ledger, exports, imports."""
