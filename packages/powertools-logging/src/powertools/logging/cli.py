"""The ``powertools-logging`` command (also ``python -m powertools.logging``).

``powertools-logging audit verify PATH [--checkpoints PATH] [--public-key KEY] [--at-least N]``
checks an audit trail without opening it for writing. It prints one line and exits with

- 0: ``OK: N records, chain intact, K checkpoints verified``;
- 1: ``FAILED: ...`` naming the first record at fault and what is wrong with it (also when
  checkpoints the trail promises are missing: a removed, emptied or cut checkpoint file);
- 2: the input cannot be checked (a missing file, a key that is not one), said on stderr.

:func:`main` takes the arguments and returns the exit status, so another command (such as the
``powertools`` meta-package's) can delegate to it.
"""

from __future__ import annotations

import argparse
import string
import sys
from pathlib import Path

from powertools.logging._audit import verify_trail
from powertools.logging._audit_keys import SigningKey
from powertools.logging.errors import AuditTamperedError, ConfigurationError, MissingExtraError

__all__ = ["main"]

OK, TAMPERED, BAD_INPUT = 0, 1, 2
_KEY_BYTES = 32


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Tools for powertools.logging's files.")
    area = parser.add_subparsers(dest="area", required=True, metavar="{audit}")
    audit = area.add_parser("audit", help="the tamper-evident audit trail")
    action = audit.add_subparsers(dest="action", required=True, metavar="{verify}")
    verify = action.add_parser(
        "verify",
        help="check an audit trail's chain, checkpoints and signatures",
        description="Check every record of an audit trail, and its checkpoints.",
    )
    verify.add_argument("path", type=Path, help="the audit trail file")
    verify.add_argument(
        "--checkpoints",
        type=Path,
        metavar="PATH",
        help="its checkpoint file (default: PATH.checkpoints)",
    )
    verify.add_argument(
        "--public-key",
        metavar="KEY",
        help="the Ed25519 public key that signed the checkpoints: 64 hex digits, or a file "
        "holding them or the 32 raw bytes; without it signatures are not checked",
    )
    verify.add_argument(
        "--at-least",
        type=int,
        metavar="N",
        help="the record count of the latest checkpoint you keep elsewhere: a trail cut back "
        "below it fails",
    )
    return parser


def _is_hex_key(text: str) -> bool:
    return len(text) == 2 * _KEY_BYTES and all(c in string.hexdigits for c in text)


def _public_key(given: str) -> bytes:
    """The 32 raw bytes of ``--public-key``: hex digits, or a file holding them or the bytes."""
    if _is_hex_key(given):
        return bytes.fromhex(given)
    path = Path(given)
    if not path.is_file():
        raise ConfigurationError(
            f"--public-key {given!r} is neither 64 hex digits nor a file; pass the key that "
            "signed the checkpoints, e.g. SigningKey.public_key().raw().hex()"
        )
    data = path.read_bytes()
    if len(data) == _KEY_BYTES:
        return data
    text = data.decode("ascii", errors="replace").strip()
    if _is_hex_key(text):
        return bytes.fromhex(text)
    raise ConfigurationError(
        f"{path} holds neither 64 hex digits nor the 32 raw bytes of an Ed25519 public key"
    )


def _checkpoint_file(args: argparse.Namespace) -> Path:
    given: Path | None = args.checkpoints
    path = given or Path(f"{args.path}.checkpoints")
    if path.exists():
        return path
    if given is not None:
        raise ConfigurationError(f"no checkpoint file at {path}; check --checkpoints")
    return path  # missing: a signed trail then fails as tampered (its checkpoints are withheld)


def _is_private_key(args: argparse.Namespace, checkpoints: Path) -> bool:
    """Whether ``--public-key`` names a file holding the private key whose public half signed
    the checkpoints (both are 32 raw bytes; a logger keeps its private key so)."""
    path = Path(args.public_key or "")
    if not path.is_file() or path.stat().st_size != _KEY_BYTES:
        return False
    public_half = SigningKey.from_file(path, create=False).public_key().raw()
    try:
        verify_trail(args.path, checkpoint_path=checkpoints, public_key=public_half)
    except AuditTamperedError as error:
        return error.kind != "forged-checkpoint"
    return True


def _failure(error: AuditTamperedError) -> str:
    if error.kind == "withheld-checkpoint":
        return f"FAILED: checkpoint withheld: {error.detail}"
    if error.kind != "forged-checkpoint":
        where = "" if error.line is None else f" (line {error.line})"
        return f"FAILED: record {error.seq}{where} {error.kind}: {error.detail}"
    if error.seq == 0:
        return f"FAILED: {error.detail}"
    return f"FAILED: the checkpoint of record {error.seq}: bad signature ({error.detail})"


def _verify(args: argparse.Namespace) -> int:
    if not args.path.is_file():
        raise ConfigurationError(f"no audit trail at {args.path}")
    public_key = None if args.public_key is None else _public_key(args.public_key)
    checkpoints = _checkpoint_file(args)
    try:
        result = verify_trail(
            args.path, checkpoint_path=checkpoints, public_key=public_key, at_least=args.at_least
        )
    except AuditTamperedError as error:
        if error.kind == "forged-checkpoint" and _is_private_key(args, checkpoints):
            raise ConfigurationError(
                f"{args.public_key} is the private signing key, not its public half: pass "
                "SigningKey.from_file(path, create=False).public_key().raw().hex() instead, "
                "and keep the private key from auditors"
            ) from None
        print(_failure(error))
        return TAMPERED
    signatures = "" if result.signed else " (signatures not checked: no --public-key)"
    if result.signed_trail and not result.signed:
        signatures = " (this trail is signed: pass --public-key to check its signatures)"
    print(
        f"OK: {result.records} records, chain intact, "
        f"{result.checkpoints} checkpoints verified{signatures}"
    )
    return OK


def main(argv: list[str] | None = None, *, prog: str = "powertools-logging") -> int:
    """Run the command with ``argv`` (default: the process's arguments); return the exit status.

    ``prog`` is the command's name in usage and error messages (``"powertools logging"`` when
    the meta-package's command delegates here).

    >>> main(["audit", "verify", "/no/such/trail"])
    2
    """
    try:
        args = _parser(prog).parse_args(argv)
    except SystemExit as stop:  # --help, or a usage error argparse has already explained
        return stop.code if isinstance(stop.code, int) else BAD_INPUT
    try:
        return _verify(args)
    except (ConfigurationError, MissingExtraError, OSError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return BAD_INPUT
