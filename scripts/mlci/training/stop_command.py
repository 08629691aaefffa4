"""``mlci stop``: stop the training job a cancelled ``mlci train`` launched (the action's cleanup step).

GitHub cancels a run by signalling the step (SIGINT, SIGTERM) and then killing its process tree; mlci stops
its job on the signal, but when it was killed first the job would run on. This command reads the record
``mlci train --launched FILE`` wrote and asks the launcher to stop that job. No record: nothing to stop.
"""

from __future__ import annotations

import argparse
import json
import os

from mlci import gha
from mlci.errors import UserError

HELP = "Stop the training job that `mlci train --launched FILE` recorded (after a cancelled run)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register this command's options."""
    parser.add_argument("launched", metavar="FILE", help="The record `mlci train --launched FILE` wrote.")


def run(args: argparse.Namespace) -> bool:
    """Stop the recorded job; a missing record means nothing was launched."""
    from mlci.training.launchers import LAUNCHERS, get

    if not os.path.exists(args.launched):
        gha.info(f"{args.launched}: no job was launched; nothing to stop")
        return True
    try:
        with open(args.launched, encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError) as exc:
        raise UserError(f"{args.launched}: not a record written by `mlci train --launched` ({exc}).") from exc
    name = record.get("launcher") if isinstance(record, dict) else None
    if name not in LAUNCHERS:
        raise UserError(
            f"{args.launched}: names no known launcher ({name!r}); pass the file mlci train wrote."
        )
    gha.info(get(name).stop({str(k): str(v) for k, v in record.items()}))
    return True
