"""Browser files taken from the npm registry with ``npm pack`` (the package
tarballs only: no dependency tree, no install scripts), checked against pinned
SHA-384 hashes (as ``integrity`` attributes write them) and served by the app
itself — never from a CDN. Used for GraphiQL (``api.graphiql_assets``) and the
admin panel's charts (``admin.chart_assets``)."""

from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

# (npm package@version, file inside its tarball, name served, SHA-384 as in an integrity attribute or None)
Asset = tuple[str, str, str, str | None]


def integrity(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def in_place(assets: Sequence[Asset], dest: Path) -> bool:
    """Every file is there with its pinned hash."""
    for _, _, name, digest in assets:
        path = dest / name
        if not path.is_file() or (digest is not None and integrity(path.read_bytes()) != digest):
            return False
    return True


def fetch(assets: Sequence[Asset], dest: Path, what: str) -> None:
    """``npm pack`` each package once, check each file's hash, write it to ``dest``."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"npm is not installed; {what} come from the npm registry (apt-get install npm)")
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tarballs: dict[str, Path] = {}
        for spec in dict.fromkeys(spec for spec, *_ in assets):
            done = subprocess.run([npm, "pack", spec, "--silent", "--pack-destination", tmp], capture_output=True,
                                  text=True, timeout=300, cwd=tmp)
            if done.returncode != 0:
                raise RuntimeError(f"npm pack {spec} failed: {(done.stderr or done.stdout).strip()[:300]}")
            tarballs[spec] = Path(tmp) / done.stdout.strip().splitlines()[-1]
        for spec, member, name, digest in assets:
            with tarfile.open(tarballs[spec], "r:gz") as tar:
                extracted = tar.extractfile(f"package/{member}")
                if extracted is None:
                    raise RuntimeError(f"{spec} has no {member}")
                data = extracted.read()
            if digest is not None and integrity(data) != digest:
                raise RuntimeError(f"{spec} {member}: hash {integrity(data)} is not the pinned {digest}")
            (dest / name).write_bytes(data)


def install_main(argv: Sequence[str], assets: Sequence[Asset], dest: Path, *, doc: str, what: str,
                 without: str) -> int:
    """The command line of a module that installs ``assets`` (``[--strict] [--dest DIR]``):
    nothing to do when they are in place; a failed fetch is a warning that says what
    works ``without`` them, an error with ``--strict``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="fail when the files cannot be fetched")
    parser.add_argument("--dest", type=Path, default=dest)
    args = parser.parse_args(argv)
    if in_place(assets, args.dest):
        return 0
    try:
        fetch(assets, args.dest, what)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        print(f"warning: {what} were not installed: {exc}; {without}", file=sys.stderr)
        return 1 if args.strict else 0
    print(f"{what} are in {args.dest}")
    return 0
