"""Start with no limits and learn them from a provider's rate-limit headers and 429s."""

from __future__ import annotations

from powertools.ratelimit import RateLimiter


def main() -> None:
    limiter = RateLimiter.for_provider("openai", "gpt-4o")
    print("configured:", [(x.name, x.limit) for x in limiter.limits])

    # What an OpenAI response carries; Anthropic's anthropic-ratelimit-* headers work the same.
    limiter.observe(
        {
            "x-ratelimit-limit-requests": "300",
            "x-ratelimit-remaining-requests": "299",
            "x-ratelimit-reset-requests": "200ms",
            "x-ratelimit-limit-tokens": "25000",
            "x-ratelimit-remaining-tokens": "24000",
            "x-ratelimit-reset-tokens": "2.4s",
        },
        status_code=200,
    )
    print("learnt:", [(x.name, x.limit) for x in limiter.limits])

    limiter.observe({"retry-after": "2"}, status_code=429)  # halve the rate, pause 2 s
    print(f"after a 429, a call would wait {limiter.estimate_wait():.1f}s")


if __name__ == "__main__":
    main()
