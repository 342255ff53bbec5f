"""Search keys: how officers find an application by its number, the applicant's
name, IIN or document number (issue 13 item 12).

A name is written in Cyrillic on one document and in Latin on another
("Бекова" / "Bekova"), so both the stored key and the search text go through
the same :func:`fold`: Kazakh and Russian Cyrillic transliterated to Latin the
way passports do it (Ж zh, Х kh, Ш sh, Қ k, Ә a …), other accents dropped,
lower case, and the letters whose Latin spelling varies folded together:
y is i (Я "ya"/"ia", Й "y"/"i"), a run of i is one i (Мария "Mariya"/"Maria"),
ie is e (Ержан "Yerzhan"/"Erzhan", -аев "-ayev"/"-aev"), q is k (Kazakh Latin
Қ "q"). Hyphens and apostrophes
join (``RP-2026-000123`` is ``rp2026000123``), anything else that is not a letter
or digit separates words.

The key of an application is its folded number, name, IIN and document number,
one word after another (:func:`search_key`); a search matches when every word
of the folded search text occurs in the key (``LIKE '%word%'``, which a trigram
index serves on PostgreSQL).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from core.text import t

SEARCH_MAX = 200  # characters of search text
WORDS_MAX = 8

# Cyrillic (Russian and Kazakh) to Latin, lower case, after the ICAO 9303 / Kazakh
# passport practice with the spellings people actually use (я ya, ю yu, й y).
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya",
    # Kazakh
    "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
    # Ukrainian / Belarusian letters seen in CIS documents
    "є": "ye", "ї": "yi", "ґ": "g", "ў": "u",
}
_JOINERS = frozenset("-'\u2010\u2011\u2012\u2013\u2014\u2212\u2019\u02bc\u02bb`\u00b4")
_FOLD = str.maketrans({"y": "i", "q": "k"})
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_I_RUN = re.compile(r"i+")


def fold(text: str) -> str:
    """``text`` as lower-case Latin words separated by single spaces."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text).lower():
        latin = _CYRILLIC.get(ch)
        if latin is not None:
            out.append(latin)
        elif ch in _JOINERS:
            continue
        else:
            # Latin letters with accents (ä, ö, ş, ğ, é) lose them; anything else stays
            # as it is and is turned into a separator below when it is not a-z or 0-9.
            out.append("".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)))
    latin = _I_RUN.sub("i", "".join(out).translate(_FOLD)).replace("ie", "e")
    return " ".join(_NOT_WORD.sub(" ", latin).split())


def search_key(*, number: str | None, full_name: str | None, iin: str | None, document_number: str | None) -> str:
    """The stored key of an application (``Application.search_key``)."""
    return fold(" ".join(part for part in (number, full_name, iin, document_number) if part))


def search_words(text: str) -> list[str]:
    """The words a search text must all match, folded like the keys."""
    return fold(text).split()


def search_problem(text: str) -> str | None:
    """Why a (non-blank) search text cannot be searched, or None."""
    if len(text) > SEARCH_MAX:
        return t("search must be at most {most} characters (got {length})", most=SEARCH_MAX, length=len(text))
    words = search_words(text)
    if not words:
        return t("search needs a letter or digit: an application number, a name, an IIN or a document number")
    if len(words) > WORDS_MAX:
        return t("search takes at most {most} words (got {count})", most=WORDS_MAX, count=len(words))
    return None


def like_patterns(words: Iterable[str]) -> list[str]:
    """``%word%`` for each word (words hold only a-z and 0-9: nothing to escape)."""
    return [f"%{w}%" for w in words]
