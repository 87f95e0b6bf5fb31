"""A workbook opened first in a child process under a memory ceiling, before this process reads it.

The spreadsheet reader lays each sheet out as a full grid from its first used cell to its last: a file of
a few kilobytes with one cell at XFD1048576 asks it for 16,384 × 1,048,576 cells (hundreds of GB), and it
aborts the process that asked (a Rust allocation failure is not an exception). Opening the workbook in a
child with an address-space ceiling finds such a file at the cost of reading it twice; it is then
refused by name, and the service, or the command, carries on. A file the child opens within the ceiling
takes no more than that here.

Run as `python -m referrals.importing.sheet_check CEILING [SHEET...]` with the workbook on standard input: exit 0
when it opens (or fails to open in a way the reader reports as an error, which the caller meets and
reports itself), 3 when it runs out of memory; an abort or a kill shows as a negative status.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Sequence
from typing import Literal

# Address space the child may use: a legit sheet of a million rows by twenty columns opens in well under
# the command line's; a request's rows are capped (20,000 by default), so its files get a quarter of that.
CEILING_BYTES = 4 * 1024**3
CAPPED_CEILING_BYTES = 1024**3
TIMEOUT_SECONDS = 120
_OUT_OF_MEMORY = 3


def too_large(
    data: bytes, sheets: Sequence[str] = (), ceiling: int = CEILING_BYTES
) -> Literal["memory", "time"] | None:
    """None when the workbook opens within `ceiling` bytes and the time; else which one it passes."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "referrals.importing.sheet_check", str(ceiling), *sheets],
            input=data,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "time"
    if done.returncode == 0:
        return None
    if done.returncode == _OUT_OF_MEMORY or done.returncode < 0:  # a MemoryError, or an abort or kill
        return "memory"
    # the check itself could not run (an interpreter or an install at fault): said, never taken for the file's
    raise RuntimeError(f"the workbook check exited with {done.returncode}: {done.stderr.decode()[-500:]}")


def main(ceiling: int, sheets: Sequence[str]) -> int:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling if hard == resource.RLIM_INFINITY else min(ceiling, hard), hard))
    try:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_filelike(io.BytesIO(sys.stdin.buffer.read()))
        for name in [n for n in book.sheet_names if n in sheets] if sheets else book.sheet_names:
            book.get_sheet_by_name(name)
    except MemoryError:
        return _OUT_OF_MEMORY
    except Exception:  # not a workbook, or a broken one: the caller's own read meets it and reports it
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), sys.argv[2:]))
