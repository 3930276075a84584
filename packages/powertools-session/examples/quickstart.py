"""The spec's example: a session that survives a crash, saved and backed up.

Run it twice: the second run finds the first run's state. It writes under the user's data
directory unless POWERTOOLS_SESSION_DIR (or POWERTOOLS_SESSION_STORE) says otherwise.
"""

from powertools.session import Session

# Create or load session
session = Session("project-abc", auto_save=True)

# Use like a dict
session.set("user_context", {"id": 123, "role": "admin"})
session.set("conversation_history", [])
session.append("conversation_history", {"role": "user", "content": "..."})

# Auto-saves every change
# If process crashes:
session = Session.recover("project-abc")
context = session.get("user_context")  # ✅ Still there!
print(context)

# Manual save for critical data
session.save()
session.create_backup("project-abc.backup")
print(Session.list())
