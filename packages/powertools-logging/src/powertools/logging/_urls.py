"""Reading a sink's settings from its URL (``datadog://``, ``cloudwatch://``, ...)."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from powertools.logging.errors import ConfigurationError

__all__ = ["SinkUrl"]


class SinkUrl:
    """A sink URL's parts: ``scheme://where?name=value&...``, where ``where`` is the host
    and path together, URL-decoded.

    >>> url = SinkUrl("cloudwatch:///aws/lambda/app?stream=web", "cloudwatch", {"stream"})
    >>> url.where, url.get("stream"), url.get("region")
    ('/aws/lambda/app', 'web', None)
    """

    def __init__(self, url: str, scheme: str, known: set[str]) -> None:
        parts = urlsplit(url)
        if parts.scheme != scheme:
            raise ConfigurationError(f"{url!r} is not a {scheme}:// URL")
        self.url, self.scheme = url, scheme
        self.where = unquote(parts.netloc + parts.path)
        self.options = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        unknown = sorted(set(self.options) - known)
        if unknown:
            raise ConfigurationError(
                f"{scheme}:// URL option {unknown[0]!r} is not one of {sorted(known)}: fix {url!r}"
            )

    def get(self, name: str, default: str | None = None) -> str | None:
        """An option's value, or ``default``."""
        return self.options.get(name, default)

    def flag(self, name: str, default: bool) -> bool:
        """A yes/no option (``1``, ``true``, ``yes`` / ``0``, ``false``, ``no``)."""
        value = self.options.get(name)
        if value is None:
            return default
        if value.lower() in ("1", "true", "yes"):
            return True
        if value.lower() in ("0", "false", "no"):
            return False
        raise ConfigurationError(f"{self.scheme}:// option {name}={value!r}: use true or false")
