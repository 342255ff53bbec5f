"""SPEC §16: the gettext catalogues are complete, keep every parameter, and a
message is rendered as each language writes numbers and dates.

The message ids are extracted from the source tree itself (``t(...)`` in
Python, ``_()``/``gettext`` in the admin templates, the admin views' labels,
SQLAdmin's own template messages), so a message added anywhere fails here
until ``make messages`` has collected it and someone has translated it."""

from __future__ import annotations

import datetime as dt
import re
import string
from decimal import Decimal

import pytest

from cli.messages import message_ids
from core import i18n
from core.text import Text, TextList, dump, load, t

pytestmark = pytest.mark.engine_independent  # no database: once per `make test` (tests/conftest.py)

IDS = message_ids()


def parameters(message: str) -> set[str]:
    if "%(" in message:  # SQLAdmin's own messages are percent-style
        return set(re.findall(r"%\((\w+)\)s", message))
    return {name for _, name, _, _ in string.Formatter().parse(message) if name is not None}


def test_the_source_has_messages() -> None:
    assert len(IDS) > 300
    assert "{what} not found" in IDS and "Logout" in IDS  # a service's message, SQLAdmin's own
    assert "Quota fill per region and year" in IDS and "Social contracts" in IDS  # a template's, a view's label


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_message_is_translated(lang: str) -> None:
    missing = i18n.missing(lang, IDS)
    assert not missing, (f"{len(missing)} message(s) lack a {lang} translation; run `make messages` and translate "
                         f"them in {i18n.po_path(lang)}: {missing[:10]}")


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_translations_keep_every_parameter(lang: str) -> None:
    catalogue = i18n.catalogue(lang)
    broken = {msgid: catalogue[msgid] for msgid in IDS
              if msgid in catalogue and parameters(catalogue[msgid]) != parameters(msgid)}
    assert not broken, f"{lang} translations drop or rename parameters: {broken}"


def test_the_parameter_check_catches_a_renamed_parameter() -> None:
    assert parameters("{label} must be a whole number.") != parameters("{labl}: бүтін сан болуы керек.")
    assert parameters("New %(name)s") != parameters("Жаңа")


def test_kazakh_and_russian_are_not_english_copies() -> None:
    for lang in ("kk", "ru"):
        catalogue = i18n.catalogue(lang)
        cyrillic = sum(1 for msgid in IDS if re.search("[а-яәіңғүұқөһ]", catalogue.get(msgid, ""), re.I))
        assert cyrillic / len(IDS) > 0.9, lang


def test_money_and_dates_as_each_language_writes_them() -> None:
    message = t("the amount {amount} is more than the {outstanding} outstanding", amount=Decimal("1557000.00"),
                outstanding=Decimal("12.50"))
    assert i18n.translate(message, "en") == "the amount 1557000.00 is more than the 12.50 outstanding"
    assert i18n.translate(message, "ru") == "сумма 1\u00a0557\u00a0000,00 ₸ превышает задолженность 12,50 ₸"
    assert i18n.translate(message, "kk") == "1\u00a0557\u00a0000,00 ₸ сомасы 12,50 ₸ берешектен асады"
    dated = t("no published scoring model is in force on {today}", today=dt.date(2026, 12, 4))
    assert i18n.translate(dated, "en") == "no published scoring model is in force on 2026-12-04"
    assert "4 декабря 2026" in i18n.translate(dated, "ru")
    assert "4 желтоқсан" in i18n.translate(dated, "kk")


def test_nested_messages_lists_and_years_are_translated() -> None:
    message = t("scoreApplication needs every stage first: {missing}", missing=TextList(
        [t("the language test is not recorded"), t("no interview is scheduled")], "; "))
    assert str(message) == ("scoreApplication needs every stage first: the language test is not recorded; "
                            "no interview is scheduled")
    assert i18n.translate(message, "ru") == ("для scoreApplication сначала должны быть пройдены все этапы: "
                                             "результат языкового теста не внесён; собеседование не назначено")
    year = t("there is no LABOUR quota for this region and occupation in {year}", year=2026)
    assert "2026" in i18n.translate(year, "kk") and "2 026" not in i18n.translate(year, "kk")


def test_english_is_the_text_the_services_wrote() -> None:
    for msgid in IDS:
        if "%(" in msgid:
            continue
        names = parameters(msgid)
        message = Text(msgid, {name: f"<{name}>" for name in names})
        assert i18n.translate(message, "en") == str(message)


def test_a_message_survives_storage_with_its_id() -> None:
    message = t("{label} {value} is in band {band}: {given} of {most}", label=t("applicant age"), value="34",
                band="30–39", given=80, most=100)
    loaded = load(dump(message))
    assert isinstance(loaded, Text) and loaded == message and loaded.template == message.template
    assert i18n.translate(loaded, "ru") == "возраст заявителя: 34, диапазон 30–39: 80 из 100"


@pytest.mark.parametrize(("header", "lang"), [
    (None, "en"), ("", "en"), ("de", "en"), ("*", "en"), ("kk", "kk"), ("kk-KZ", "kk"), ("ru-RU,ru;q=0.9", "ru"),
    ("en;q=0.4, ru;q=0.6, kk;q=0.5", "ru"), ("ru;q=0, kk;q=0.1", "kk"), ("fr, en-US;q=0.8, ru;q=0.7", "en"),
    ("RU", "ru"), ("ru;q=abc, kk", "kk"),
])
def test_accept_language(header: str | None, lang: str) -> None:
    assert i18n.negotiate(header) == lang


def test_compiled_catalogues_are_read_like_the_po_files(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import shutil

    for lang in i18n.LANGUAGES:
        target = tmp_path / lang / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copy(i18n.po_path(lang), target / "messages.po")
    expected = {lang: dict(i18n.catalogue(lang)) for lang in i18n.LANGUAGES}
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.catalogue.cache_clear()
    try:
        written = i18n.compile_all()
        assert {p.name for p in written} == {"messages.mo"} and len(written) == 3
        assert {lang: dict(i18n.catalogue(lang)) for lang in i18n.LANGUAGES} == expected
    finally:
        monkeypatch.undo()
        i18n.catalogue.cache_clear()
