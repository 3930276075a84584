"""Storage backends, one module each, registered in the ``powertools.session.backends`` group."""
