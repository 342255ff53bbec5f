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
