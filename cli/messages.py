"""``python -m cli.messages extract|compile``: the gettext catalogues (core/locale).

``extract`` collects every message id of the source tree (``t(...)`` in the
code, ``_()`` in the admin templates, the admin views' labels, SQLAdmin's own
template messages) into ``messages.po`` of kk, ru and en, keeping the
translations already made, and says how many are still untranslated;
``compile`` writes the ``.mo`` files (run by ``make install``)."""

from __future__ import annotations

import sys

from admin.i18n import label_ids
from core import i18n


def message_ids() -> dict[str, set[str]]:
    ids = i18n.extract_ids()
    for label in label_ids():
        ids.setdefault(label, set()).add("admin/views")
    return ids


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "compile"
    if command == "extract":
        ids = message_ids()
        i18n.extract(ids)
        i18n.catalogue.cache_clear()
        for lang in i18n.LANGUAGES:
            print(f"{lang}: {len(i18n.missing(lang, ids))} of {len(ids)} message(s) without a translation")
        return 0
    if command == "compile":
        for path in i18n.compile_all():
            print(f"compiled {path}")
        return 0
    print("usage: python -m cli.messages [extract|compile]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
