"""Ledger backends, one module each; each imports its optional dependency itself."""
