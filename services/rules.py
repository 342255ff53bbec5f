"""Pure input rules (SPEC §8).

Nothing here touches the database or the clock: "today" is always passed in.
Each ``*_problem`` function returns ``None`` when the value is acceptable, or
a one-line English message that is safe to show to the user who typed it
(the message never echoes raw input that could carry markup: an offending
character is named by its Unicode code point and name instead).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import pycountry

from core.text import Text, t
from models.reference import KZ_REGION_CODES

__all__ = [
    "add_years",
    "age_on",
    "birth_date_problem",
    "certificate_number_problem",
    "citizenship_problem",
    "document_number_problem",
    "family_size_problem",
    "full_name_problem",
    "iin_check_digit",
    "iin_problem",
    "interview_points_problem",
    "make_iin",
    "money_amount_problem",
    "moved_forward",
    "normalise_certificate_number",
    "normalise_document_number",
    "normalise_full_name",
    "occupation_code_problem",
    "normalise_region_code",
    "percent_problem",
    "region_code_problem",
    "savings_problem",
    "test_date_problem",
    "work_experience_problem",
]

# --------------------------------------------------------------------------
# dates


def add_years(d: date, years: int) -> date:
    """``d`` moved by ``years`` calendar years; Feb 29 becomes Feb 28 when the
    target year is not a leap year. Raises ValueError outside years 1..9999."""
    year = d.year + years
    if d.month == 2 and d.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return d.replace(year=year)


def add_months(d: date, months: int) -> date:
    """``d`` moved by ``months`` calendar months; a day the target month lacks
    becomes its last day (Nov 30 + 3 months is Feb 28, or 29 in a leap year)."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def moved_forward(now: datetime, updated_at: datetime) -> datetime:
    """The ``updated_at`` of a row changed at ``now`` that last changed at ``updated_at``:
    the partner agencies' feed is ordered by ``updated_at``, so it must move forward
    (past ``updated_at``, should the clock lag) for the change to show."""
    return max(now, updated_at + timedelta(microseconds=1))


def age_on(birth_date: date, on: date) -> int:
    """Whole years between ``birth_date`` and ``on``.

    Consistent with :func:`add_years`: ``age_on(b, d) >= n`` exactly when
    ``d >= add_years(b, n)``; someone born on Feb 29 turns a year older on
    Feb 28 of a common year. Negative when ``on`` is before ``birth_date``.
    """
    years = on.year - birth_date.year
    if add_years(birth_date, years) > on:
        years -= 1
    return years


MAX_AGE = 120


def birth_date_problem(birth_date: date, today: date, *, min_age: int = 18) -> str | None:
    if not isinstance(birth_date, date):
        return t("Birth date must be a date.")
    if birth_date > today:
        return t("Birth date must not be in the future.")
    age = age_on(birth_date, today)
    if age < min_age:
        latest = add_years(today, -min_age)
        return t("The applicant must be at least {min_age} years old (born on or before {latest}).",
                 min_age=min_age, latest=latest)
    if age > MAX_AGE:
        return t("Birth date is more than {years} years ago; please check it.", years=MAX_AGE)
    return None


TEST_MAX_AGE_YEARS = 2


def test_date_problem(taken_on: date, today: date) -> str | None:
    """A language test must not be in the future nor more than 2 years old."""
    if not isinstance(taken_on, date):
        return t("Test date must be a date.")
    if taken_on > today:
        return t("Test date must not be in the future.")
    earliest = add_years(today, -TEST_MAX_AGE_YEARS)
    if taken_on < earliest:
        return t("The language test must have been taken within the last {years} years (on or after {earliest}).",
                 years=TEST_MAX_AGE_YEARS, earliest=earliest)
    return None


# Keep pytest from collecting the rule above as a test when it is imported
# into a test module.
test_date_problem.__test__ = False  # type: ignore[attr-defined]


# --------------------------------------------------------------------------
# IIN (individual identification number)

_IIN_RE = re.compile(r"[0-9]{12}")
_FIRST_WEIGHTS = tuple(range(1, 12))  # 1..11
_SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_CENTURY_BASE = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}


def _sex_value(sex: object) -> object:
    """Accept "MALE"/"FEMALE" or an enum whose value is one of them."""
    return getattr(sex, "value", sex)


def iin_check_digit(first11: str) -> int | None:
    """Check digit for the first 11 digits of an IIN, or None if there is none.

    Sum of the digits weighted 1..11, mod 11; if that is 10, the digits
    weighted 3..11,1,2, mod 11; if that is 10 again the IIN is invalid.
    Also None when ``first11`` is not exactly 11 ASCII digits.
    """
    if not isinstance(first11, str) or not re.fullmatch(r"[0-9]{11}", first11):
        return None
    digits = [int(c) for c in first11]
    check = sum(w * d for w, d in zip(_FIRST_WEIGHTS, digits)) % 11
    if check == 10:
        check = sum(w * d for w, d in zip(_SECOND_WEIGHTS, digits)) % 11
        if check == 10:
            return None
    return check


def _century_digit(birth_date: date, sex: str) -> int:
    base = {18: 1, 19: 3, 20: 5}.get(birth_date.year // 100)
    if base is None:
        raise ValueError("an IIN can only encode birth years 1800-2099")
    if sex == "MALE":
        return base
    if sex == "FEMALE":
        return base + 1
    raise ValueError("sex must be MALE or FEMALE")


def make_iin(birth_date: date, sex: str, serial: int) -> str:
    """Build a valid IIN for ``birth_date`` and ``sex``.

    Digits 8-11 are ``serial`` (0..9999). When no check digit exists for that
    serial, serial+1, serial+2, ... (wrapping after 9999) are tried in turn,
    so the result is deterministic.
    """
    sex = _sex_value(sex)  # type: ignore[assignment]
    if isinstance(serial, bool) or not isinstance(serial, int) or not 0 <= serial <= 9999:
        raise ValueError("serial must be an integer from 0 to 9999")
    prefix = birth_date.strftime("%y%m%d") + str(_century_digit(birth_date, sex))
    for step in range(10000):
        first11 = f"{prefix}{(serial + step) % 10000:04d}"
        check = iin_check_digit(first11)
        if check is not None:
            return f"{first11}{check}"
    raise ValueError("no valid IIN exists for this birth date and sex")  # pragma: no cover


def _iin_birth_date(iin: str) -> date | None:
    century = _CENTURY_BASE.get(int(iin[6]))
    if century is None:
        return None
    try:
        return date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        return None


def iin_problem(iin: str, birth_date: date, sex: str) -> str | None:
    if not isinstance(iin, str):
        return t("IIN must be a string of 12 digits.")
    if not _IIN_RE.fullmatch(iin):
        if re.fullmatch(r"[0-9]*", iin):
            return t("IIN must be exactly 12 digits (got {length}).", length=len(iin))
        return t("IIN may contain only the digits 0-9 (no spaces or other characters).")
    if int(iin[6]) not in _CENTURY_BASE:
        return t("IIN digit 7 (century and sex) must be from 1 to 6.")
    encoded = _iin_birth_date(iin)
    if encoded is None:
        return t("IIN digits 1-6 are not a valid birth date (YYMMDD).")
    check = iin_check_digit(iin[:11])
    if check is None:
        return t("This IIN is not valid: no check digit is possible for its first 11 digits.")
    if check != int(iin[11]):
        return t("IIN check digit is wrong; please check the number.")
    sex = _sex_value(sex)  # type: ignore[assignment]
    if sex not in ("MALE", "FEMALE"):
        return t("Sex must be MALE or FEMALE.")
    if encoded != birth_date:
        return t("The IIN encodes the birth date {encoded}, which does not match the birth date given.",
                 encoded=encoded)
    encoded_sex = "MALE" if int(iin[6]) % 2 == 1 else "FEMALE"
    if encoded_sex != sex:
        return t("The IIN encodes sex {sex}, which does not match the sex given.", sex=encoded_sex)
    return None


# --------------------------------------------------------------------------
# names

FULL_NAME_MAX = 200
_APOSTROPHES = frozenset("'\u2019\u02bc\u02bb")  # ' ’ ʼ ʻ (the last two: Uzbek Latin Oʻ, Gʻ)
_SEPARATORS = frozenset(" -") | _APOSTROPHES


def _is_name_letter(ch: str) -> bool:
    """A Latin or Cyrillic letter (Kazakh Cyrillic Әә Ғғ Ққ Ңң Өө Ұұ Үү Һһ Іі included)."""
    if not unicodedata.category(ch).startswith("L"):
        return False
    cp = ord(ch)
    return (
        ("A" <= ch <= "Z")
        or ("a" <= ch <= "z")
        or 0x00C0 <= cp <= 0x024F  # Latin-1 Supplement letters, Latin Extended-A/B
        or 0x1E00 <= cp <= 0x1EFF  # Latin Extended Additional
        or 0x0400 <= cp <= 0x052F  # Cyrillic, Cyrillic Supplement
    )


def _describe_char(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'UNNAMED CHARACTER')}"


def normalise_full_name(name: str) -> str:
    """NFC form, surrounding whitespace stripped, inner runs of whitespace
    collapsed to one space. Store this; check it with full_name_problem."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def full_name_problem(name: str) -> str | None:
    if not isinstance(name, str):
        return t("Full name must be text.")
    text = unicodedata.normalize("NFC", name)
    if not text.strip():
        return t("Full name must not be blank.")
    if len(text) > FULL_NAME_MAX:
        return t("Full name must be at most {most} characters (got {length}).", most=FULL_NAME_MAX, length=len(text))
    for ch in text:
        if ch not in _SEPARATORS and not _is_name_letter(ch):
            return t("Full name may contain only Latin or Cyrillic letters, spaces, hyphens and apostrophes; "
                     "{char} is not allowed.", char=_describe_char(ch))
    if all(ch in _SEPARATORS for ch in text):
        return t("Full name must contain at least one letter.")
    return None


# --------------------------------------------------------------------------
# citizenship and documents


def citizenship_problem(code: str) -> str | None:
    if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{3}", code):
        return t("Citizenship must be an ISO 3166-1 alpha-3 code of three capital letters, e.g. UZB.")
    if code == "KAZ":
        return t("Citizens of Kazakhstan do not apply for a residence permit.")
    if pycountry.countries.get(alpha_3=code) is None:
        return t("{code} is not an ISO 3166-1 alpha-3 country code.", code=code)
    return None


DOCUMENT_NUMBER_MIN = 5
DOCUMENT_NUMBER_MAX = 20
# Spaces and hyphens (including typographic dashes) are ignored in document numbers.
_DOC_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014\u2212]+")


def normalise_document_number(number: str) -> str:
    """Upper-case, spaces and hyphens removed: the form stored and compared
    when looking for the same document in two applications."""
    return _DOC_SEPARATORS.sub("", number).upper()


def document_number_problem(number: str) -> str | None:
    """5-20 Latin letters and digits once spaces and hyphens are removed.

    Only ASCII letters are accepted so that look-alike Cyrillic letters
    cannot make one passport look like two different documents.
    """
    if not isinstance(number, str):
        return t("Document number must be text.")
    compact = _DOC_SEPARATORS.sub("", number)
    if not compact:
        return t("Document number is required.")
    for ch in compact:
        if not (ch.isascii() and ch.isalnum()):
            return t("Document number may contain only Latin letters A-Z and digits 0-9 "
                     "(spaces and hyphens are ignored); {char} is not allowed.", char=_describe_char(ch))
    if len(compact) < DOCUMENT_NUMBER_MIN:
        return t("Document number must have at least {least} letters or digits (got {length}).",
                 least=DOCUMENT_NUMBER_MIN, length=len(compact))
    if len(compact) > DOCUMENT_NUMBER_MAX:
        return t("Document number must have at most {most} letters or digits (got {length}).",
                 most=DOCUMENT_NUMBER_MAX, length=len(compact))
    return None


CERTIFICATE_NUMBER_MIN = 4
CERTIFICATE_NUMBER_MAX = 40


def normalise_certificate_number(number: str) -> str:
    """Surrounding whitespace stripped, upper-cased: the form stored and
    compared when checking that one certificate serves one applicant."""
    return number.strip().upper()


def certificate_number_problem(number: str) -> str | None:
    """4-40 characters: Latin letters, digits, hyphens and slashes."""
    if not isinstance(number, str):
        return t("Certificate number must be text.")
    if not number:
        return t("Certificate number is required.")
    for ch in number:
        if not ((ch.isascii() and ch.isalnum()) or ch in "-/"):
            return t("Certificate number may contain only Latin letters A-Z, digits 0-9, hyphens and slashes; "
                     "{char} is not allowed.", char=_describe_char(ch))
    if len(number) < CERTIFICATE_NUMBER_MIN or len(number) > CERTIFICATE_NUMBER_MAX:
        return t("Certificate number must be {least} to {most} characters long (got {length}).",
                 least=CERTIFICATE_NUMBER_MIN, most=CERTIFICATE_NUMBER_MAX, length=len(number))
    if not any(ch.isalnum() for ch in number):
        return t("Certificate number must contain at least one letter or digit.")
    return None


# --------------------------------------------------------------------------
# whole-number ranges


def _range_problem(value: object, label: Text, low: int, high: int, unit: Text | None = None) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return t("{label} must be a whole number.", label=label)
    if not low <= value <= high:
        if unit is not None:
            return t("{label} must be from {low} to {high} {unit} (got {value}).",
                     label=label, low=low, high=high, unit=unit, value=value)
        return t("{label} must be from {low} to {high} (got {value}).", label=label, low=low, high=high, value=value)
    return None


def percent_problem(value: int) -> str | None:
    return _range_problem(value, t("Percentage"), 0, 100)


def work_experience_problem(years: int) -> str | None:
    return _range_problem(years, t("Work experience"), 0, 60, t("years"))


def family_size_problem(size: int) -> str | None:
    return _range_problem(size, t("Family size"), 1, 20, t("people"))


def interview_points_problem(points: int | None) -> str | None:
    if points is None:
        return None
    return _range_problem(points, t("Interview points"), 0, 10)


def occupation_code_problem(code: str) -> str | None:
    """Format only (an ISCO-08 unit group is 4 digits); existence is checked
    against the database elsewhere."""
    if not isinstance(code, str) or not re.fullmatch(r"[0-9]{4}", code):
        return t("Occupation code must be an ISCO-08 unit group code of 4 digits, e.g. 2211.")
    return None


# --------------------------------------------------------------------------
# regions


def normalise_region_code(code: str) -> str:
    """``" kz-55 "`` → ``"KZ-55"``: how every region code a caller types is read."""
    return code.strip().upper()


def region_code_problem(code: str) -> str | None:
    """A region code is one of ISO 3166-2:KZ's, written in any case (the list is
    fixed: the database's CHECK constraint holds the same one)."""
    if isinstance(code, str) and normalise_region_code(code) in KZ_REGION_CODES:
        return None
    shown = normalise_region_code(code) if isinstance(code, str) else ""
    if not re.fullmatch(r"[A-Z0-9-]{1,12}", shown):
        return t("The code given is not a region code (ISO 3166-2:KZ, e.g. KZ-55).")
    return t("{code} is not a region code (ISO 3166-2:KZ, e.g. KZ-55).", code=shown)


# --------------------------------------------------------------------------
# money (tenge, Numeric(14, 2))

MONEY_LIMIT = Decimal(10) ** 12  # Numeric(14, 2) holds up to 999 999 999 999.99
_CENT = Decimal("0.01")


def _money_problem(amount: object, label: Text, *, allow_zero: bool) -> str | None:
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        return t("{label} must be a decimal number.", label=label)
    value = Decimal(amount)
    if not value.is_finite():
        return t("{label} must be a finite number.", label=label)
    if allow_zero:
        if value < 0:
            return t("{label} must not be negative.", label=label)
    elif value <= 0:
        return t("{label} must be greater than zero.", label=label)
    if value >= MONEY_LIMIT:
        return t("{label} must be less than 1 000 000 000 000.", label=label)
    try:
        exact = value == value.quantize(_CENT)
    except InvalidOperation:  # pragma: no cover - bounded above, so quantize fits
        exact = False
    if not exact:
        return t("{label} may have at most 2 decimal places.", label=label)
    return None


def savings_problem(amount: Decimal) -> str | None:
    return _money_problem(amount, t("Savings"), allow_zero=True)


def money_amount_problem(amount: Decimal) -> str | None:
    return _money_problem(amount, t("Amount"), allow_zero=False)
