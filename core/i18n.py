"""Languages (SPEC §16): Kazakh, Russian and English gettext catalogues.

``translate(text, lang)`` renders a :class:`core.text.Text` (or any nested
structure of them) in ``kk``, ``ru`` or ``en``: its message id is looked up in
the language's catalogue and its named parameters are formatted as a person
of that language writes them (Babel: ``1 557 000,00`` and ``4 декабря 2026 г.``
in Russian). English stays exactly the text the services wrote.

The catalogues are ``core/locale/<lang>/LC_MESSAGES/messages.po``; the
install step compiles them to ``.mo`` (``python -m cli.messages compile``). A
catalogue whose ``.mo`` is missing or older than its ``.po`` is read from the
``.po`` directly, so a fresh checkout works too. ``python -m cli.messages
extract`` collects the message ids of the source tree (keyword ``t`` in
Python, ``_``/``gettext`` in the admin templates, the admin views' labels)
into the three catalogues, keeping the translations already made.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.text import Names, Text, TextList

LANGUAGES = ("kk", "ru", "en")
DEFAULT = "en"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).parent / "locale"
NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


def negotiate(header: str | None) -> str:
    """The language an ``Accept-Language`` header picks among kk, ru and en
    (q-values honoured, ``kk-KZ`` counts as ``kk``); English when it names none."""
    if not header:
        return DEFAULT
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(header.split(",")):
        tag, _, rest = part.strip().partition(";")
        quality = 1.0
        for param in rest.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0].split("_")[0]
        if primary not in LANGUAGES or quality <= 0:
            continue
        key = (quality, -position, primary)
        if best is None or key > best:
            best = key
    return best[2] if best else DEFAULT


def supported(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT


# ------------------------------------------------------------------ catalogues


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def catalogue(lang: str) -> Mapping[str, str]:
    """msgid -> msgstr of ``lang`` (untranslated ids left out)."""
    po = po_path(lang)
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fp:
            found = _gettext.GNUTranslations(fp)
        return {k: v for k, v in found._catalog.items() if isinstance(k, str) and k and v}  # type: ignore[attr-defined]
    if not po.exists():
        return {}
    from babel.messages.pofile import read_po

    with po.open("rb") as fp:
        read = read_po(fp, locale=lang)
    return {m.id: m.string for m in read if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def gettext(message: str, lang: str) -> str:
    return catalogue(supported(lang)).get(message, message)


# ------------------------------------------------------------------ rendering


def format_value(value: Any, lang: str) -> Any:
    """One parameter as ``lang`` writes it (English: as the services wrote it)."""
    if isinstance(value, Text):
        return translate(value, lang)
    if isinstance(value, TextList):
        return value.sep.join(str(format_value(v, lang)) for v in value)
    if lang == "en":
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool) or isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        from babel.numbers import format_decimal

        if value.is_finite() and value.as_tuple().exponent == -2:  # an amount of money
            return format_decimal(value, format="#,##0.00", locale=lang)
        return format_decimal(value, locale=lang, decimal_quantization=False)
    if isinstance(value, dt.datetime):
        from babel.dates import format_datetime

        return format_datetime(value, format="medium", locale=lang)
    if isinstance(value, dt.date):
        from babel.dates import format_date

        return format_date(value, format="long", locale=lang)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(format_value(v, lang)) for v in value)
    return value


def translate(text: Any, lang: str | None) -> Any:
    """``text`` in ``lang``: a :class:`Text` translated and its parameters
    formatted; a list or mapping with its Texts translated; anything else as is."""
    lang = supported(lang)
    if isinstance(text, Names):
        return text.in_language(lang)
    if isinstance(text, Text):
        if lang == "en" and text.template not in catalogue("en"):
            return str(text)
        template = gettext(text.template, lang)
        params = {k: format_value(v, lang) for k, v in text.params.items()}
        try:
            return template.format(**params) if params or template != text.template else template
        except (KeyError, IndexError, ValueError):  # a broken translation never hides the message
            return str(text)
    if isinstance(text, list):
        return [translate(v, lang) for v in text]
    if isinstance(text, dict):
        return {k: translate(v, lang) for k, v in text.items()}
    return text


# ------------------------------------------------------------------ maintenance (python -m cli.messages)


def source_root() -> Path:
    return Path(__file__).resolve().parent.parent


MAPPING = [
    ("**/tests/**", "ignore"),
    ("**/cli/**", "ignore"),  # the command line stays English
    ("**/migrations/**", "ignore"),
    ("**/bench/**", "ignore"),
    ("**/.venv/**", "ignore"),
    ("**.py", "python"),
    ("templates/**.html", "jinja2"),
]
KEYWORDS = {"t": None, "_": None, "gettext": None, "lazy_gettext": None}


def extract_ids(root: Path | None = None) -> dict[str, set[str]]:
    """Every message id of the source tree -> the files it is written in."""
    from babel.messages.extract import extract_from_dir

    root = root or source_root()
    found: dict[str, set[str]] = {}
    for directory in ("core", "services", "api", "admin"):
        for filename, _lineno, message, _comments, _context in extract_from_dir(
            root / directory, method_map=MAPPING, keywords=KEYWORDS,
            options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}},
        ):
            if isinstance(message, str) and message:
                found.setdefault(message, set()).add(f"{directory}/{filename}")
    for message in sqladmin_ids():
        found.setdefault(message, set()).add("sqladmin/templates")
    return found


def sqladmin_ids() -> list[str]:
    """SQLAdmin's own template messages (it ships no Kazakh)."""
    import sqladmin
    from babel.messages.pofile import read_po

    pot = Path(sqladmin.__file__).parent / "translations" / "admin.pot"
    if not pot.exists():
        return []
    with pot.open("rb") as fp:
        return [m.id for m in read_po(fp) if isinstance(m.id, str) and m.id]


def extract(ids: dict[str, set[str]]) -> None:
    """Write ``ids`` (message id -> where it is written) into the three catalogues:
    translations kept, ids no longer in the source dropped."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    for lang in LANGUAGES:
        path = po_path(lang)
        old: dict[str, str] = {}
        if path.exists():
            with path.open("rb") as fp:
                old = {m.id: m.string for m in read_po(fp, locale=lang) if isinstance(m.id, str) and m.id}
        catalog = Catalog(locale=lang, project="Qonys", charset="utf-8", fuzzy=False)
        for message in sorted(ids):
            catalog.add(message, old.get(message, ""), locations=[(p, None) for p in sorted(ids[message])],
                        flags=("python-brace-format",) if "{" in message else ())
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fp:
            write_po(fp, catalog, width=0, omit_header=False, include_lineno=False)


def compile_all() -> list[Path]:
    """``.po`` -> ``.mo`` for the three languages (run by the install step)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for lang in LANGUAGES:
        po = po_path(lang)
        if not po.exists():
            continue
        with po.open("rb") as fp:
            read = read_po(fp, locale=lang)
        with po.with_suffix(".mo").open("wb") as fp:
            write_mo(fp, read)
        written.append(po.with_suffix(".mo"))
    catalogue.cache_clear()
    return written


def missing(lang: str, ids: Iterable[str]) -> list[str]:
    have = catalogue(lang)
    return sorted(i for i in ids if i not in have)
