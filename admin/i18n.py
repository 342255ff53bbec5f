"""The admin panel in Kazakh, Russian or English (SPEC §16), in one place.

- ``LanguageMiddleware`` (inside the session middleware) reads ``?lang=kk`` and
  keeps it in the session; without a choice, the browser's Accept-Language.
  It makes the language current for the request: ours (``current()``) and
  SQLAdmin's (whose Python code and templates call its ``gettext``), both
  backed by the project's catalogues (``core.i18n``), which also hold
  SQLAdmin's own template messages (it ships no Kazakh).
- ``install(admin)`` gives the templates ``_``/``gettext`` (parameters that
  are labels are translated too) and a ``finalize`` that shows every
  ``core.text`` message (form errors, service refusals) and every label of a
  view (menu names, list titles, column labels, filter titles) in the current
  language: the views keep writing plain English labels.
- ``label_ids()`` lists those labels, so the catalogue test demands their
  translations like any other message id.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from markupsafe import Markup
from sqladmin import i18n as sqladmin_i18n
from starlette.requests import HTTPConnection
from starlette.types import Receive, Scope, Send

from core import i18n
from core.asgi import HttpMiddleware
from core.text import Names, Text

SESSION_KEY = "lang"
_language: ContextVar[str] = ContextVar("qonys_admin_language", default=i18n.DEFAULT)


def current() -> str:
    return _language.get()


class CatalogueTranslations(_gettext.NullTranslations):
    """SQLAdmin's ``gettext`` reads the current translation object; this one is ours."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def gettext(self, message: str) -> str:
        return i18n.gettext(message, self.lang)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return i18n.gettext(singular if n == 1 else plural, self.lang)


TRANSLATIONS = {lang: CatalogueTranslations(lang) for lang in i18n.LANGUAGES}


def activate(lang: str) -> None:
    lang = i18n.supported(lang)
    _language.set(lang)
    sqladmin_i18n._current_locale.set(lang)  # type: ignore[attr-defined]
    sqladmin_i18n._current_translation.set(TRANSLATIONS[lang])  # type: ignore[attr-defined]


class LanguageMiddleware(HttpMiddleware):
    """``?lang=`` (kept in the session), else the session's choice, else Accept-Language."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        conn = HTTPConnection(scope)
        session = scope.get("session")
        chosen = conn.query_params.get("lang")
        if chosen in i18n.LANGUAGES and session is not None:
            session[SESSION_KEY] = chosen
        kept = session.get(SESSION_KEY) if session is not None else None
        activate(chosen if chosen in i18n.LANGUAGES else
                 kept if kept in i18n.LANGUAGES else i18n.negotiate(conn.headers.get("accept-language")))
        await self.app(scope, receive, send)


# ------------------------------------------------------------------ labels


# Printed by SQLAdmin's templates from its own Python (the panel's title, boolean filters' choices).
SHOWN = ("Qonys administration", "All", "Yes", "No")


@lru_cache(maxsize=1)
def label_ids() -> frozenset[str]:
    """Every label the views show: names, menu categories, column labels, filter titles."""
    from admin.dashboard import DashboardView
    from admin.views import ALL_VIEWS
    from admin.views.common import LABELS

    found: set[str] = set(LABELS.values()) | set(SHOWN)
    for view in (DashboardView, *ALL_VIEWS):
        for attr in ("name", "name_plural", "category"):
            value = getattr(view, attr, None)
            if isinstance(value, str) and value:
                found.add(value)
        for value in (getattr(view, "column_labels", None) or {}).values():
            if isinstance(value, str):
                found.add(value)
        for flt in getattr(view, "column_filters", None) or ():
            title = getattr(flt, "title", None)
            if isinstance(title, str) and title:
                found.add(title)
    return frozenset(s for s in found if any(c.isalpha() for c in s))


def show(value: Any) -> Any:
    """What a template prints: messages and labels in the current language."""
    if isinstance(value, (Text, Names)):
        return i18n.translate(value, current())
    if type(value) is str and value in label_ids():
        return i18n.gettext(value, current())
    return value


def template_gettext(message: str, **variables: Any) -> str:
    translated = i18n.gettext(message, current())
    if variables:
        translated = translated % {k: show(v) for k, v in variables.items()}
    return translated


def template_ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    return template_gettext(singular if n == 1 else plural, **{"num": n, **variables})


def install(admin: Any) -> None:
    env = admin.templates.env
    env.globals.update({
        "_": template_gettext, "gettext": template_gettext, "ngettext": template_ngettext,
        "admin_language": current, "admin_languages": [(code, i18n.NAMES[code]) for code in i18n.LANGUAGES],
    })
    previous = env.finalize

    def finalize(value: Any) -> Any:
        value = show(value)
        return previous(value) if previous is not None else value

    env.finalize = finalize


def in_language(text: Any) -> str:
    """A message for a flash or a form: in the current language."""
    shown = show(text)
    return shown if isinstance(shown, (str, Markup)) else str(shown)
