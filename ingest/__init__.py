"""Reading the bureau's ledgers (台账): files, headers, values, validation and loading."""
