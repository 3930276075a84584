"""powertools.ratelimit — request and token limits, priority queues and quotas."""

from powertools.ratelimit.errors import RateLimiterError

__version__ = "0.1.0"

__all__ = ["RateLimiterError", "__version__"]
