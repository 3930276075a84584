"""powertools.retry — retries, error classification, circuit breakers and fallbacks."""

from powertools.retry.errors import RetryError

__version__ = "0.1.0"

__all__ = ["RetryError", "__version__"]
