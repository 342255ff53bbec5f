"""Put the admin panel's chart library (Chart.js, its UMD build) where the panel
serves it (``admin/static/vendor/``), taken from the npm registry with
``npm pack`` and checked against its pinned SHA-384 (``core.npm_assets``). Run
by ``make install``; idempotent. Without it the dashboard shows its figures as
tables only and says why; with ``--strict`` a failed fetch is an error.

    python -m admin.chart_assets [--strict] [--dest DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from core import npm_assets

DEST = Path(__file__).resolve().parent / "static" / "vendor"
CHART_JS = "chart.umd.js"
ASSETS: tuple[npm_assets.Asset, ...] = (
    ("chart.js@4.4.7", "dist/chart.umd.js", CHART_JS,
     "sha384-zYPBGXwO4633CABX/5Spf6emCKUJCfoOkhOMYyxMsatqQZPnDblmmOewfjsIVWCM"),
    ("chart.js@4.4.7", "LICENSE.md", "LICENSE-chart.js.md", None),
)


def chart_integrity() -> str | None:
    """The ``integrity`` of the chart library when it is in place, else None (no charts)."""
    if not npm_assets.in_place(ASSETS, DEST):
        return None
    return ASSETS[0][3]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="fail when the files cannot be fetched")
    parser.add_argument("--dest", type=Path, default=DEST)
    args = parser.parse_args(argv)
    if npm_assets.in_place(ASSETS, args.dest):
        return 0
    try:
        npm_assets.fetch(ASSETS, args.dest, "the admin panel's chart files")
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        print(f"warning: the chart library was not installed: {exc}; the dashboard shows tables only",
              file=sys.stderr)
        return 1 if args.strict else 0
    print(f"the chart library is in {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
