"""Exports: the lists and the ledger as the spreadsheets officials hand on (xlsx, CSV)."""
