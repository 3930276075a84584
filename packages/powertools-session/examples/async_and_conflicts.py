"""AsyncSession for asyncio code, and what happens when two writers race."""

import asyncio

from powertools.session import AsyncSession, ConflictError, Session


async def main() -> None:
    async with AsyncSession("chat-42", store="memory://example") as chat:
        await asyncio.gather(*(chat.append("history", f"message {i}") for i in range(3)))
        print(sorted(chat.get("history")))

    # Two handles on one session: the second one's write is refused, not lost.
    first = Session("race", store="memory://example")
    second = Session("race", store="memory://example")
    first.set("owner", "first")
    try:
        second.set("owner", "second")
    except ConflictError as exc:
        print("conflict:", exc.expected, "->", exc.found)
    # Opting in to last-writer-wins replays the change on top of the newest version.
    third = Session("race", store="memory://example", on_conflict="last-writer-wins")
    first.append("log", "from first")
    third.append("log", "from third")
    print(Session("race", store="memory://example").get_all())


asyncio.run(main())
