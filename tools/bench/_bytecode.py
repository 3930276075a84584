"""Imports measured as users get them: with every module's bytecode already compiled.

pip compiles the bytecode (``.pyc``) of everything it installs. This workspace installs its
own packages editable, uv compiles no bytecode unless asked, and this environment sets
``PYTHONDONTWRITEBYTECODE=1``: an import here would compile each of its modules from source
first, every time, and measure the compiler. :func:`compiled_environment` compiles the
workspace's sources and the virtual environment's packages once (later runs only check the
timestamps) and returns the environment for the measuring subprocesses.
"""

from __future__ import annotations

import compileall
import os
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def compiled_environment() -> dict[str, str]:
    """Compile the bytecode of the workspace's sources and of site-packages; the environment
    for a fresh interpreter that may read (and write) bytecode."""
    folders = [*sorted(ROOT.glob("packages/*/src")), Path(sysconfig.get_paths()["purelib"])]
    for folder in folders:
        compileall.compile_dir(folder, quiet=2, workers=0)
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
