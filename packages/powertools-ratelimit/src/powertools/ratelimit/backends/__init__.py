"""Shared stores for fleet-wide limits; each imports its optional dependency inside itself."""
