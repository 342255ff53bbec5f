"""A message a person reads, kept translatable.

``t("the quota has {free} seats left", free=3)`` is a ``str`` (the English text,
so every caller that joins, compares or logs messages keeps working) that also
remembers its message id (the template) and its named parameters. The API and
the admin panel translate it into the reader's language at the edge; the
services and the pure scoring engine never need to know who reads.

Every user-visible message is written as ``t(<literal template>, **params)``:
the literal is what the gettext extractor collects (keyword ``t``), and the
named parameters let a translation reorder them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any


class Text(str):
    """English text that also carries its message id and parameters."""

    template: str
    params: Mapping[str, Any]

    def __new__(cls, template: str, params: Mapping[str, Any] | None = None) -> "Text":
        values = dict(params or {})
        obj = super().__new__(cls, template.format(**values) if values else template)
        obj.template = template
        obj.params = values
        return obj

    def __reduce__(self):  # pickling keeps the id and parameters
        return (Text, (self.template, dict(self.params)))


def t(template: str, /, **params: Any) -> Text:
    """Mark a user-visible message: a literal template and its named parameters."""
    return Text(template, params)


class TextList(list):
    """Several messages (or values) joined by ``sep`` when shown; each part is
    translated on its own: ``t("needs every stage: {missing}", missing=TextList(parts, "; "))``."""

    def __init__(self, parts: Any = (), sep: str = ", ") -> None:
        super().__init__(parts)
        self.sep = sep

    def __str__(self) -> str:
        return self.sep.join(str(p) for p in self)

    __format__ = lambda self, spec: format(str(self), spec)  # noqa: E731

    def __reduce__(self):
        return (TextList, (list(self), self.sep))


def dump(value: Any) -> Any:
    """A message as JSON that keeps its id and parameters (``{"t": ..., "p": {...}}``),
    so a stored message (a score's reasons) is translated when it is read."""
    if isinstance(value, Text):
        return {"t": value.template, "p": {k: dump(v) for k, v in value.params.items()}}
    if isinstance(value, TextList):
        return {"l": [dump(v) for v in value], "sep": value.sep}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (int, bool, float)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [dump(v) for v in value]
    return str(value)


def load(data: Any) -> Any:
    """The inverse of :func:`dump`."""
    if isinstance(data, dict) and set(data) == {"t", "p"}:
        return Text(data["t"], {k: load(v) for k, v in (data["p"] or {}).items()})
    if isinstance(data, dict) and set(data) == {"l", "sep"}:
        return TextList([load(v) for v in data["l"]], data["sep"])
    return data


class Names(str):
    """A name of reference data: the English name (so it reads as today) that
    also carries its Kazakh and Russian forms; the API answers with the one of
    the request's language (``core.i18n.translate``), the English one when a
    translation is missing."""

    kk: str | None
    ru: str | None

    def __new__(cls, en: str, kk: str | None = None, ru: str | None = None) -> "Names":
        obj = super().__new__(cls, en)
        obj.kk, obj.ru = kk or None, ru or None
        return obj

    def __reduce__(self):
        return (Names, (str(self), self.kk, self.ru))

    def in_language(self, lang: str) -> str:
        return {"kk": self.kk, "ru": self.ru}.get(lang) or str.__str__(self)
