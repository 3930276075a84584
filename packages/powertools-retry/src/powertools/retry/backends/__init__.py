"""Stores for a circuit breaker's state beyond this process (``redis``: extra ``[redis]``)."""
