"""Find (and on a fresh Debian machine, install) LibreOffice Calc without a display, which the tests
convert the statement workbooks with, to check that another spreadsheet reads the same numbers.

    python -m tools.libreoffice ensure   # print the path of `soffice`; as root with apt-get, install it if missing
"""

from __future__ import annotations

import sys

from tools import debian

PACKAGES = ("libreoffice-calc-nogui",)

if __name__ == "__main__":
    sys.exit(debian.main("soffice", PACKAGES, "the workbook tests", __doc__ or ""))
