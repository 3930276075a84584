"""Built-in sinks, one module each; optional ones import their client library inside."""
