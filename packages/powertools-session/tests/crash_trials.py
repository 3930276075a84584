"""Crash-harness driver, run as a script (not a test module): forks writers and SIGKILLs them.

    python crash_trials.py FOLDER TRIALS SEED

For each trial a forked child opens session ``t<N>`` in FOLDER and applies ``op(i)`` for
i = 0, 1, ... forever, writing one byte to a pipe after each acknowledged op. The parent kills
it with SIGKILL after a random number of acknowledgements (so mid-write, at a random point),
then prints ``<trial> <acknowledged ops> <durability>`` per line. This process is
single-threaded, so forking it is safe.
"""

from __future__ import annotations

import os
import random
import signal
import sys
from typing import Any

from powertools.session import Session


def op(session: Session, i: int) -> None:
    """The i-th operation of every trial: sets, appends of varied sizes, now and then a delete."""
    if i % 3 == 0:
        session.set("k", {"i": i, "pad": "x" * (i * 37 % 700)})
    elif i % 11 == 0:
        session.delete("k")
    else:
        session.append("log", i)


def child(folder: str, trial: int, durability: Any, ack: int) -> None:
    session = Session(
        f"t{trial}", store=f"file://{folder}?journal_limit=1024", durability=durability
    )
    i = 0
    while True:
        op(session, i)
        os.write(ack, b".")
        i += 1


def trial_run(folder: str, trial: int, rng: random.Random) -> tuple[int, str]:
    durability = rng.choice(["power", "power", "power", "process"])  # power: most trials
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the writer
        os.close(read)
        try:
            child(folder, trial, durability, write)
        finally:
            os._exit(1)
    os.close(write)
    wanted = rng.randint(0, 24)
    acked = 0
    while acked < wanted:
        chunk = os.read(read, wanted - acked)
        if not chunk:
            break
        acked += len(chunk)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    while chunk := os.read(read, 4096):
        acked += len(chunk)
    os.close(read)
    return acked, durability


def main() -> None:
    folder, trials, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    for trial in range(trials):
        acked, durability = trial_run(folder, trial, rng)
        print(trial, acked, durability, flush=True)


if __name__ == "__main__":
    main()
