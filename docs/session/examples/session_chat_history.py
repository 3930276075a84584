"""A support bot keeps each user's conversation, trimmed to the last turns, across restarts.

Each turn is appended; `update_with` trims the history in one compare-and-swap, so a second
worker answering the same user at the same moment never loses a turn.
"""

from powertools.session import Session

KEEP = 4  # turns of history the model sees


def remember(user: str, role: str, content: str) -> None:
    session = Session(f"chat-{user}")
    session.append("history", {"role": role, "content": content})
    session.update_with(lambda data: {**data, "history": data["history"][-KEEP:]})


for n in range(3):
    remember("ada", "user", f"question {n}")
    remember("ada", "assistant", f"answer {n}")

# a new process (or the same one after a restart) opens the user's conversation as it was
history = Session("chat-ada").get("history")
assert [turn["content"] for turn in history] == ["question 1", "answer 1", "question 2", "answer 2"]
print(len(history), "turns kept, the last:", history[-1]["content"])
