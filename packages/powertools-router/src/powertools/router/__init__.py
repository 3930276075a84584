"""powertools.router — routing LLM tasks between local and cloud models."""

from powertools.router.errors import RouterError

__version__ = "0.1.0"

__all__ = ["RouterError", "__version__"]
