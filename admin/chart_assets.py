"""Put the admin panel's chart library (Chart.js, its UMD build) where the panel
serves it (``admin/static/vendor/``), taken from the npm registry with
``npm pack`` and checked against its pinned SHA-384 (``core.npm_assets``). Run
by ``make install``; idempotent. Without it the dashboard shows its figures as
tables only and says why; with ``--strict`` a failed fetch is an error.

    python -m admin.chart_assets [--strict] [--dest DIR]
"""

from __future__ import annotations

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
    return npm_assets.install_main(argv, ASSETS, DEST, doc=__doc__, what="the admin panel's chart files",
                                   without="the dashboard shows tables only")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
