"""Put GraphiQL's built files where the app serves them (``api/static/graphiql/``),
so that GraphiQL works on a network without internet access.

The files are the ones Strawberry's own GraphiQL page loads from a CDN, taken
instead from the npm registry with ``npm pack`` (the package tarballs only: no
dependency tree, no install scripts) and checked against the same SHA-384
hashes that page pins; the page the app serves keeps them as ``integrity``
attributes. Run by ``make install``; idempotent (files already in place with
the right hash are kept). Without npm it says so and exits 0, unless
``--strict``: the API works without GraphiQL.

    python -m api.graphiql_assets [--strict] [--dest DIR]

The app serves them at ``ASSETS_URL`` in development (``server.app``) with the
page ``graphiql_page()`` builds.
"""

from __future__ import annotations

import sys
from pathlib import Path

from core import npm_assets
from core.npm_assets import integrity  # noqa: F401 (part of this module's interface)

DEST = Path(__file__).resolve().parent / "static" / "graphiql"
ASSETS_URL = "/graphiql-assets"
PAGE = Path(__file__).resolve().parent / "graphql" / "graphiql.html"

# (npm package@version, file inside its tarball, name served, SHA-384 as in an integrity attribute)
ASSETS = (
    ("react@18.2.0", "umd/react.production.min.js", "react.production.min.js",
     "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8"),
    ("react-dom@18.2.0", "umd/react-dom.production.min.js", "react-dom.production.min.js",
     "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh"),
    ("graphiql@3.8.3", "graphiql.min.css", "graphiql.min.css",
     "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM"),
    ("graphiql@3.8.3", "graphiql.min.js", "graphiql.min.js",
     "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie"),
    ("@graphiql/plugin-explorer@1.0.2", "dist/style.css", "plugin-explorer.css",
     "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi"),
    ("@graphiql/plugin-explorer@1.0.2", "dist/index.umd.js", "plugin-explorer.umd.js",
     "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9"),
    ("graphiql@3.8.3", "LICENSE", "LICENSE-graphiql.txt", None),
)


def in_place(dest: Path) -> bool:
    return npm_assets.in_place(ASSETS, dest)


def graphiql_page(dest: Path | None = None) -> str | None:
    """The GraphiQL page, loading only this server's copies of the files (``None``
    when they are not installed)."""
    if not in_place(dest or DEST):
        return None
    page = PAGE.read_text(encoding="utf-8").replace("__ASSETS__", ASSETS_URL)
    for _, _, name, digest in ASSETS:
        if digest is not None:
            page = page.replace(f"__{name}__", digest)
    return page


MISSING_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Qonys GraphiQL</title></head>
<body><h1>GraphiQL is not installed on this server</h1>
<p>Its files come from the npm registry at install time: run <code>make install</code> (needs npm) or
<code>python -m api.graphiql_assets</code>. The API itself answers POST requests at <code>/graphql</code>.</p>
</body></html>"""


def main(argv: list[str]) -> int:
    return npm_assets.install_main(argv, ASSETS, DEST, doc=__doc__, what="GraphiQL's files",
                                   without="the API works, /graphql shows no IDE")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
