"""``powertools sessions list | show | backup | restore | cleanup | recover``.

The store is ``--store URL``, else the stack's configured ``session.store``, else the
session package's default (a file store in the user's data folder).

>>> from powertools.session import Session
>>> Session("cli-doc", store="memory://cli-doc").set("user", "ada")
>>> main(["show", "cli-doc", "--store", "memory://cli-doc", "--json"])
{"name": "cli-doc", "version": 1, "data": {"user": "ada"}}
0
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.pretty import Pretty

from powertools._output import Output, command_parser, fail, parse_args

__all__ = ["main"]


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = command_parser(prog, "Durable sessions: look inside, back up, restore, recover.")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions = {
        "list": ("the sessions in the store", ()),
        "show": ("one session's contents", ("name",)),
        "backup": ("copy a session to TARGET (a name, or a URL ending in one)", ("name", "target")),
        "restore": ("replace a session's state with a backup's", ("name", "target")),
        "cleanup": ("delete the sessions whose TTL has run out", ()),
        "recover": ("open a session at its newest valid version (after a crash)", ("name",)),
    }
    for action, (text, positionals) in actions.items():
        p = sub.add_parser(action, help=text)
        for name in positionals:
            p.add_argument(name)
        p.add_argument("--store", help="a store URL: memory://, file:///dir, redis://..., ...")
        p.add_argument("--json", action="store_true", help="print JSON for scripts")
    return parser


def _store(given: str | None) -> str | None:
    from powertools._config import configured

    store: str | None = given or configured("session", "store")
    return store


def _existing(name: str, store: str | None) -> Any:
    from powertools.session import Session, SessionNotFoundError

    if name not in Session.list(store):
        raise SessionNotFoundError(
            f"no session {name!r} in {store or 'the default store'}; "
            f"see `powertools sessions list{' --store ' + store if store else ''}`"
        )
    return Session(name, store=store)


def main(argv: Sequence[str] | None = None, *, prog: str = "powertools sessions") -> int:
    """Run ``powertools sessions``; 0 done, 1 failed (said in one line), 2 bad usage."""
    from powertools.session import SessionError

    args = parse_args(_parser(prog), argv)
    if isinstance(args, int):
        return args
    out = Output(args.json)
    try:
        store = _store(args.store)
        data, text = _run(args, store)
    except SessionError as exc:
        return fail(prog, str(exc))
    except ValueError as exc:
        return fail(prog, str(exc), 2)
    out.emit(data, lambda console: _render(console, data, text))
    return 0


def _render(console: Console, data: dict[str, Any], text: str) -> None:
    console.print(text, highlight=False)
    if "data" in data:
        console.print(Pretty(data["data"]))


def _run(args: argparse.Namespace, store: str | None) -> tuple[dict[str, Any], str]:
    from powertools.session import Session

    action = args.action
    if action == "list":
        names = Session.list(store)
        return {"sessions": names}, "\n".join(names) or "no sessions"
    if action == "cleanup":
        removed = Session.cleanup(store)
        return {"removed": removed}, f"removed {len(removed)} expired sessions"
    if action == "recover":
        session = Session.recover(args.name, store=store)
        data = {"name": args.name, "version": session.version, "data": session.get_all()}
        return data, f"{args.name}: recovered at version {session.version}"
    session = _existing(args.name, store)
    if action == "show":
        data = {"name": args.name, "version": session.version, "data": session.get_all()}
        return data, f"{args.name} (version {session.version})"
    if action == "backup":
        target = session.create_backup(args.target)
        return {"name": args.name, "backup": target}, f"backed up {args.name} to {target}"
    session.restore_backup(args.target)
    return (
        {"name": args.name, "restored_from": args.target, "version": session.version},
        f"restored {args.name} from {args.target} (now version {session.version})",
    )
