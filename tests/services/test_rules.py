"""Tests for the pure input rules (SPEC §8)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services import rules

pytestmark = pytest.mark.engine_independent  # no database: once per `make test` (tests/conftest.py)

TODAY = date(2026, 3, 15)

FIRST_WEIGHTS = range(1, 12)
SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def weighted(first11: str, weights: object) -> int:
    return sum(w * int(c) for w, c in zip(weights, first11))  # type: ignore[call-overload]


# --------------------------------------------------------------------------
# IIN: check digit


def test_check_digit_first_weights_by_hand() -> None:
    # 1990-05-14, male (century digit 3), serial 0001: 9 0 0 5 1 4 3 0 0 0 1
    # 9*1 + 0*2 + 0*3 + 5*4 + 1*5 + 4*6 + 3*7 + 0*8 + 0*9 + 0*10 + 1*11
    # = 9 + 0 + 0 + 20 + 5 + 24 + 21 + 0 + 0 + 0 + 11 = 90; 90 mod 11 = 2
    assert rules.iin_check_digit("90051430001") == 2
    assert rules.iin_problem("900514300012", date(1990, 5, 14), "MALE") is None


def test_check_digit_second_weights_by_hand() -> None:
    # 1985-03-12, female (century digit 4), serial 0180: 8 5 0 3 1 2 4 0 1 8 0
    # weights 1..11: 8 + 10 + 0 + 12 + 5 + 12 + 28 + 0 + 9 + 80 + 0 = 164;
    #   164 mod 11 = 10, so the second weights apply:
    # weights 3..11,1,2: 24 + 20 + 0 + 18 + 7 + 16 + 36 + 0 + 11 + 8 + 0 = 140;
    #   140 mod 11 = 8
    prefix = "85031240180"
    assert weighted(prefix, FIRST_WEIGHTS) % 11 == 10
    assert rules.iin_check_digit(prefix) == 8
    assert rules.iin_problem("850312401808", date(1985, 3, 12), "FEMALE") is None


def test_check_digit_second_weights_found_by_search() -> None:
    found = [
        p
        for p in (f"9206153{s:04d}" for s in range(1000))
        if weighted(p, FIRST_WEIGHTS) % 11 == 10 and weighted(p, SECOND_WEIGHTS) % 11 != 10
    ]
    assert found
    for prefix in found:
        assert rules.iin_check_digit(prefix) == weighted(prefix, SECOND_WEIGHTS) % 11


def test_check_digit_invalid_twice_is_none() -> None:
    # 8 5 0 3 1 2 4 0 1 8 1: first sum 164 - 0 + 11 = 175, 175 mod 11 = 10;
    # second sum 140 - 0 + 2 = 142, 142 mod 11 = 10 -> no check digit exists
    assert rules.iin_check_digit("85031240181") is None
    for last in "0123456789":
        problem = rules.iin_problem("85031240181" + last, date(1985, 3, 12), "FEMALE")
        assert problem is not None and "not valid" in problem


@pytest.mark.parametrize("bad", ["", "9005143000", "900514300012", "9005143000a", "٩٠٠٥١٤٣٠٠٠١"])
def test_check_digit_rejects_malformed_prefix(bad: str) -> None:
    assert rules.iin_check_digit(bad) is None


def test_check_digit_matches_definition_exhaustively_for_a_prefix_family() -> None:
    for serial in range(10000):
        prefix = f"0001015{serial:04d}"
        first = weighted(prefix, FIRST_WEIGHTS) % 11
        second = weighted(prefix, SECOND_WEIGHTS) % 11
        expected = first if first != 10 else (second if second != 10 else None)
        assert rules.iin_check_digit(prefix) == expected


# --------------------------------------------------------------------------
# IIN: whole number against birth date and sex


def test_iin_wrong_check_digit() -> None:
    problem = rules.iin_problem("900514300013", date(1990, 5, 14), "MALE")
    assert problem is not None and "check digit" in problem


def test_iin_wrong_date() -> None:
    problem = rules.iin_problem("900514300012", date(1990, 5, 15), "MALE")
    assert problem is not None and "birth date" in problem


def test_iin_wrong_sex() -> None:
    problem = rules.iin_problem("900514300012", date(1990, 5, 14), "FEMALE")
    assert problem is not None and "sex" in problem


def test_iin_wrong_century() -> None:
    # digit 7 = 5 (a man born in the 2000s): 900514 5 0001 encodes 2090-05-14
    first11 = "90051450001"
    iin = first11 + str(rules.iin_check_digit(first11))
    problem = rules.iin_problem(iin, date(1990, 5, 14), "MALE")
    assert problem is not None and "2090-05-14" in problem
    # digit 7 = 4 (a woman born in the 1900s) for a man born in 1990
    first11 = "90051440001"
    iin = first11 + str(rules.iin_check_digit(first11))
    problem = rules.iin_problem(iin, date(1990, 5, 14), "MALE")
    assert problem is not None and "sex" in problem


@pytest.mark.parametrize("digit", ["0", "7", "8", "9"])
def test_iin_century_digit_out_of_range(digit: str) -> None:
    first11 = "900514" + digit + "0001"
    check = rules.iin_check_digit(first11)
    iin = first11 + str(check if check is not None else 0)
    problem = rules.iin_problem(iin, date(1990, 5, 14), "MALE")
    assert problem is not None and "digit 7" in problem


@pytest.mark.parametrize("yymmdd", ["900230", "901301", "900001", "900431", "010229"])
def test_iin_invalid_encoded_date(yymmdd: str) -> None:
    first11 = yymmdd + "30001"
    check = rules.iin_check_digit(first11)
    iin = first11 + str(check if check is not None else 0)
    problem = rules.iin_problem(iin, date(1990, 5, 14), "MALE")
    assert problem is not None and "date" in problem


def test_iin_leap_day_ok() -> None:
    iin = rules.make_iin(date(2000, 2, 29), "FEMALE", 42)
    assert iin.startswith("0002296")
    assert rules.iin_problem(iin, date(2000, 2, 29), "FEMALE") is None


@pytest.mark.parametrize(
    "bad", ["", "90051430001", "9005143000120", " 900514300012", "900514300012\n", "9005-1430001"]
)
def test_iin_length_and_characters(bad: str) -> None:
    problem = rules.iin_problem(bad, date(1990, 5, 14), "MALE")
    assert problem is not None and "IIN" in problem


@pytest.mark.parametrize("bad", ["90051430001a", "９００５１４３０００１２", "٩٠٠٥١٤٣٠٠٠١٢"])
def test_iin_non_ascii_digits(bad: str) -> None:
    problem = rules.iin_problem(bad, date(1990, 5, 14), "MALE")
    assert problem is not None and "digits" in problem


def test_iin_accepts_enum_sex() -> None:
    import enum

    class Sex(enum.Enum):
        MALE = "MALE"
        FEMALE = "FEMALE"

    assert rules.iin_problem("900514300012", date(1990, 5, 14), Sex.MALE) is None  # type: ignore[arg-type]
    assert rules.iin_problem("900514300012", date(1990, 5, 14), Sex.FEMALE) is not None  # type: ignore[arg-type]


def test_iin_unknown_sex() -> None:
    problem = rules.iin_problem("900514300012", date(1990, 5, 14), "OTHER")
    assert problem is not None and "MALE or FEMALE" in problem


# --------------------------------------------------------------------------
# make_iin


def test_make_iin_by_hand() -> None:
    assert rules.make_iin(date(1990, 5, 14), "MALE", 1) == "900514300012"
    assert rules.make_iin(date(1985, 3, 12), "FEMALE", 180) == "850312401808"


def test_make_iin_skips_impossible_serial() -> None:
    # serial 0181 has no check digit (see above); 0182 is next:
    # first sum 164 + 2*11 = 186, 186 mod 11 = 10; second 140 + 2*2 = 144, 144 mod 11 = 1
    assert rules.make_iin(date(1985, 3, 12), "FEMALE", 181) == "850312401821"


def test_make_iin_wraps_after_9999() -> None:
    iin = rules.make_iin(date(1990, 5, 14), "MALE", 9999)
    assert len(iin) == 12 and iin[:7] == "9005143"
    assert rules.iin_problem(iin, date(1990, 5, 14), "MALE") is None


@pytest.mark.parametrize(
    ("born", "sex", "digit"),
    [
        (date(1899, 12, 31), "MALE", "1"),
        (date(1899, 12, 31), "FEMALE", "2"),
        (date(1900, 1, 1), "MALE", "3"),
        (date(1999, 12, 31), "FEMALE", "4"),
        (date(2000, 1, 1), "MALE", "5"),
        (date(2007, 6, 30), "FEMALE", "6"),
    ],
)
def test_make_iin_century_digit(born: date, sex: str, digit: str) -> None:
    iin = rules.make_iin(born, sex, 0)
    assert iin[6] == digit
    assert iin[:6] == born.strftime("%y%m%d")
    assert rules.iin_problem(iin, born, sex) is None


@pytest.mark.parametrize(
    ("born", "sex", "serial"),
    [
        (date(1799, 1, 1), "MALE", 0),
        (date(2100, 1, 1), "MALE", 0),
        (date(1990, 1, 1), "X", 0),
        (date(1990, 1, 1), "MALE", -1),
        (date(1990, 1, 1), "MALE", 10000),
    ],
)
def test_make_iin_rejects_bad_arguments(born: date, sex: str, serial: int) -> None:
    with pytest.raises(ValueError):
        rules.make_iin(born, sex, serial)


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2007, 12, 31)),
    sex=st.sampled_from(["MALE", "FEMALE"]),
    serial=st.integers(min_value=0, max_value=9999),
)
def test_make_iin_round_trips(born: date, sex: str, serial: int) -> None:
    iin = rules.make_iin(born, sex, serial)
    assert rules.iin_problem(iin, born, sex) is None
    other = "FEMALE" if sex == "MALE" else "MALE"
    assert rules.iin_problem(iin, born, other) is not None
    assert rules.iin_problem(iin, born + timedelta(days=1), sex) is not None


# --------------------------------------------------------------------------
# full name


@pytest.mark.parametrize(
    "name",
    [
        "Әлия Сәрсенқызы",
        "ҒАЛЫМ ҚҰРМАНҒАЛИҰЛЫ",
        "Ұлжан Өмірбекова",
        "Һибатулла Үсенов",
        "Іңкәр",
        "O'Brien",
        "D’Artagnan",
        "Anna-Maria",
        "Иван Петров",
        "José Müller",
        "Oʻtkir Gʻulomov",
        "A",
        "a" * 200,
    ],
)
def test_full_name_ok(name: str) -> None:
    assert rules.full_name_problem(name) is None


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "Agent 007",
        "<script>alert(1)</script>",
        "a" * 201,
        "- ' -",
        "Anna\tMaria",
        "Anna\nMaria",
        "Anna_Maria",
        "李小龙",
        "محمد",
        "Anna.Maria",
    ],
)
def test_full_name_refused(name: str) -> None:
    problem = rules.full_name_problem(name)
    assert problem is not None and "Full name" in problem


def test_full_name_message_does_not_echo_markup() -> None:
    problem = rules.full_name_problem("<script>")
    assert problem is not None
    assert "<" not in problem and "U+003C" in problem


def test_full_name_decomposed_accents_are_accepted() -> None:
    decomposed = "Jose\u0301"  # e + combining acute -> é in NFC
    assert rules.full_name_problem(decomposed) is None


def test_normalise_full_name() -> None:
    assert rules.normalise_full_name("  Әлия   Сәрсенқызы ") == "Әлия Сәрсенқызы"


# --------------------------------------------------------------------------
# dates


def test_add_years() -> None:
    assert rules.add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert rules.add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert rules.add_years(date(2024, 2, 29), -2) == date(2022, 2, 28)
    assert rules.add_years(date(2026, 3, 15), -18) == date(2008, 3, 15)
    assert rules.add_years(date(2026, 12, 31), 5) == date(2031, 12, 31)


def test_age_on() -> None:
    assert rules.age_on(date(2000, 3, 15), date(2026, 3, 15)) == 26
    assert rules.age_on(date(2000, 3, 16), date(2026, 3, 15)) == 25
    assert rules.age_on(date(2000, 3, 15), date(2000, 3, 15)) == 0
    # Feb 29 birthdays turn a year older on Feb 28 of a common year
    assert rules.age_on(date(2008, 2, 29), date(2026, 2, 27)) == 17
    assert rules.age_on(date(2008, 2, 29), date(2026, 2, 28)) == 18
    assert rules.age_on(date(2008, 2, 29), date(2028, 2, 29)) == 20


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)),
    on=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    years=st.integers(min_value=0, max_value=150),
)
def test_age_on_agrees_with_add_years(born: date, on: date, years: int) -> None:
    assert (rules.age_on(born, on) >= years) == (on >= rules.add_years(born, years))


def test_birth_date_future() -> None:
    problem = rules.birth_date_problem(TODAY + timedelta(days=1), TODAY)
    assert problem is not None and "future" in problem


def test_birth_date_17_years_364_days() -> None:
    born = date(2008, 3, 16)  # 18th birthday is tomorrow
    assert rules.age_on(born, TODAY) == 17
    problem = rules.birth_date_problem(born, TODAY)
    assert problem is not None and "at least 18" in problem and "2008-03-15" in problem


def test_birth_date_exactly_18_today() -> None:
    assert rules.birth_date_problem(date(2008, 3, 15), TODAY) is None


def test_birth_date_today_refused_for_adult_accepted_with_min_age_0() -> None:
    assert rules.birth_date_problem(TODAY, TODAY) is not None
    assert rules.birth_date_problem(TODAY, TODAY, min_age=0) is None


def test_birth_date_feb_29() -> None:
    born = date(2008, 2, 29)
    assert rules.birth_date_problem(born, date(2026, 2, 27)) is not None
    assert rules.birth_date_problem(born, date(2026, 2, 28)) is None
    assert rules.birth_date_problem(born, date(2026, 3, 1)) is None
    # today is Feb 29 of a leap year: 18 years earlier is 2010-02-28
    leap_today = date(2028, 2, 29)
    assert rules.birth_date_problem(date(2010, 2, 28), leap_today) is None
    assert rules.birth_date_problem(date(2010, 3, 1), leap_today) is not None


def test_birth_date_absurd_age() -> None:
    assert rules.birth_date_problem(date(1906, 3, 15), TODAY) is None  # 120 today
    assert rules.birth_date_problem(date(1905, 3, 16), TODAY) is None  # 120, 121 tomorrow
    problem = rules.birth_date_problem(date(1905, 3, 15), TODAY)  # 121 today
    assert problem is not None and "120" in problem


def test_test_date_rules() -> None:
    assert rules.test_date_problem(TODAY, TODAY) is None
    problem = rules.test_date_problem(TODAY + timedelta(days=1), TODAY)
    assert problem is not None and "future" in problem
    assert rules.test_date_problem(date(2024, 3, 15), TODAY) is None  # exactly 2 years
    problem = rules.test_date_problem(date(2024, 3, 14), TODAY)  # 2 years and a day
    assert problem is not None and "2024-03-15" in problem


def test_test_date_on_feb_29() -> None:
    leap_today = date(2028, 2, 29)
    assert rules.test_date_problem(date(2026, 2, 28), leap_today) is None
    assert rules.test_date_problem(date(2026, 2, 27), leap_today) is not None


# --------------------------------------------------------------------------
# citizenship


@pytest.mark.parametrize("code", ["UZB", "CHN", "MNG", "RUS", "TKM", "KGZ", "TUR", "AFG"])
def test_citizenship_ok(code: str) -> None:
    assert rules.citizenship_problem(code) is None


def test_citizenship_kaz_refused() -> None:
    problem = rules.citizenship_problem("KAZ")
    assert problem is not None and "Citizens of Kazakhstan" in problem


@pytest.mark.parametrize("code", ["XXX", "uzb", "Uzb", "UZ", "UZBK", "", " UZB", "UZB ", "860", "ЧИН"])
def test_citizenship_refused(code: str) -> None:
    assert rules.citizenship_problem(code) is not None


# --------------------------------------------------------------------------
# document and certificate numbers


@pytest.mark.parametrize("number", ["AB123", "FA1234567", "ab 123-456", "E12345678", "A" * 20, "12-34-56"])
def test_document_number_ok(number: str) -> None:
    assert rules.document_number_problem(number) is None


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("", "required"),
        ("  - ", "required"),
        ("AB12", "at least 5"),
        ("A-B-1-2", "at least 5"),
        ("A" * 21, "at most 20"),
        ("AB/12345", "U+002F"),
        ("АВ12345", "Latin"),  # Cyrillic А and В look like Latin A and B
        ("AB12345№", "not allowed"),
    ],
)
def test_document_number_refused(number: str, fragment: str) -> None:
    problem = rules.document_number_problem(number)
    assert problem is not None and fragment in problem


def test_normalise_document_number() -> None:
    assert rules.normalise_document_number(" ab 12-34\u201356 ") == "AB123456"
    assert rules.normalise_document_number("fa1234567") == "FA1234567"


@pytest.mark.parametrize("number", ["KT-2026/000123", "A123", "1234", "x" * 40, "KZ/26/1"])
def test_certificate_number_ok(number: str) -> None:
    assert rules.certificate_number_problem(number) is None


@pytest.mark.parametrize(
    "number", ["", "123", "x" * 41, "KT 123", "KT_123", "----", "//-/", "КТ-123", "KT-12<3"]
)
def test_certificate_number_refused(number: str) -> None:
    assert rules.certificate_number_problem(number) is not None


def test_normalise_certificate_number() -> None:
    assert rules.normalise_certificate_number(" kt-2026/1 ") == "KT-2026/1"


# --------------------------------------------------------------------------
# whole-number ranges at their edges

RANGES = [
    (rules.percent_problem, 0, 100),
    (rules.work_experience_problem, 0, 60),
    (rules.family_size_problem, 1, 20),
    (rules.interview_points_problem, 0, 10),
]


@pytest.mark.parametrize(("rule", "low", "high"), RANGES)
def test_range_edges(rule: object, low: int, high: int) -> None:
    assert rule(low) is None  # type: ignore[operator]
    assert rule(high) is None  # type: ignore[operator]
    assert rule(low - 1) is not None  # type: ignore[operator]
    assert rule(high + 1) is not None  # type: ignore[operator]


@pytest.mark.parametrize(("rule", "low", "high"), RANGES)
def test_range_rejects_non_integers(rule: object, low: int, high: int) -> None:
    assert rule(True) is not None  # type: ignore[operator]
    assert rule(Decimal("5")) is not None  # type: ignore[operator]
    assert rule("5") is not None  # type: ignore[operator]


def test_interview_points_none_allowed() -> None:
    assert rules.interview_points_problem(None) is None


def test_occupation_code_format() -> None:
    assert rules.occupation_code_problem("2211") is None
    assert rules.occupation_code_problem("0110") is None
    for bad in ["", "221", "22111", "22a1", " 2211", "２２１１", "2211\n"]:
        assert rules.occupation_code_problem(bad) is not None


# --------------------------------------------------------------------------
# money


@pytest.mark.parametrize(
    "amount", [Decimal("0.01"), Decimal("1"), Decimal("1.50"), Decimal("1.000"), Decimal("999999999999.99")]
)
def test_money_amount_ok(amount: Decimal) -> None:
    assert rules.money_amount_problem(amount) is None


@pytest.mark.parametrize(
    "amount",
    [
        Decimal("0"),
        Decimal("0.00"),
        Decimal("-0"),
        Decimal("-0.01"),
        Decimal("1.001"),
        Decimal("0.001"),
        Decimal("1E-50"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal(10) ** 12,
        Decimal("1E+30"),
    ],
)
def test_money_amount_refused(amount: Decimal) -> None:
    assert rules.money_amount_problem(amount) is not None


def test_money_amount_refuses_floats() -> None:
    problem = rules.money_amount_problem(1.5)  # type: ignore[arg-type]
    assert problem is not None and "decimal" in problem


def test_savings() -> None:
    assert rules.savings_problem(Decimal("0")) is None
    assert rules.savings_problem(Decimal("0.01")) is None
    assert rules.savings_problem(Decimal("999999999999.99")) is None
    assert rules.savings_problem(Decimal("-0.01")) is not None
    assert rules.savings_problem(Decimal("1.001")) is not None
    assert rules.savings_problem(Decimal("NaN")) is not None
    assert rules.savings_problem(Decimal("Infinity")) is not None
    assert rules.savings_problem(Decimal(10) ** 12) is not None
    assert rules.savings_problem(0.5) is not None  # type: ignore[arg-type]
