"""Fall back to a cheaper model when the main one keeps failing, then to a canned answer."""

from __future__ import annotations

import asyncio

from powertools.retry import ErrorHandler, retry
from powertools.retry.testing import set_testing

answered_by: list[str] = []


async def cheaper_model(prompt: str) -> str:
    """Receives the same arguments as the original call."""
    answered_by.append("gpt-4o-mini")
    return f"(mini) answer to {prompt!r}"


async def broken_model(prompt: str) -> str:
    raise ErrorHandler.TransientError("gpt-4o-mini is down too")


escalations: list[BaseException] = []


@retry(max_attempts=3, fallback=[cheaper_model])
async def generate(prompt: str) -> str:
    raise ErrorHandler.TransientError("gpt-4o: 503 Service Unavailable")


@retry(
    max_attempts=2,
    fallback=[broken_model],
    fallback_value="Sorry, no model can answer right now.",
)
async def generate_or_apologise(prompt: str) -> str:
    raise ErrorHandler.TransientError("gpt-4o: 503 Service Unavailable")


@retry(max_attempts=2, fallback=[broken_model], on_escalate=escalations.append)
async def generate_or_page(prompt: str) -> str:
    raise ErrorHandler.TransientError("gpt-4o: 503 Service Unavailable")


async def main() -> None:
    print(await generate("summarise the report"))
    assert answered_by == ["gpt-4o-mini"]

    apology = await generate_or_apologise("summarise the report")
    print(apology)
    assert apology.startswith("Sorry")

    try:
        await generate_or_page("summarise the report")
    except ErrorHandler.TransientError as exc:
        print(f"escalated: {exc}; notes: {getattr(exc, '__notes__', [])}")
    assert len(escalations) == 1


if __name__ == "__main__":
    with set_testing(True):  # zero waits between attempts
        asyncio.run(main())
