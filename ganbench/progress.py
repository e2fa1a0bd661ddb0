"""Progress bars on stderr; silent when GANBENCH_QUIET is set or stderr is not wanted."""

from __future__ import annotations

import os
import sys


def bar(iterable=None, total=None, desc: str = "", unit: str = "img", enabled: bool | None = None):
    from tqdm.auto import tqdm

    if enabled is None:
        enabled = not os.environ.get("GANBENCH_QUIET")
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        disable=not enabled,
        leave=False,
        dynamic_ncols=True,
    )
