"""Find (and on a fresh Debian machine, install) Graphviz, which `referrals export-graph --format svg|png`
renders through and the tests check DOT files with.

    python -m tools.graphviz ensure   # print the path of `dot`; as root with apt-get, install graphviz if missing
"""

from __future__ import annotations

import sys

from tools import debian

PACKAGES = ("graphviz", "fonts-dejavu-core")

if __name__ == "__main__":
    sys.exit(debian.main("dot", PACKAGES, "the picture exports", __doc__ or ""))
