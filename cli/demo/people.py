"""Who applies: names that fit a citizenship (and ethnic Kazakh origin), birth
dates, IINs, passport and certificate numbers, family members; every number
unique against the ones the database already holds."""

from __future__ import annotations

import datetime as dt
import json
import random
import unicodedata
from pathlib import Path
from typing import Any

from cli.demo.common import Batch, Choice, ri
from cli.demo.context import Context
from services.rules import add_years, age_on, full_name_problem, make_iin, normalise_full_name


# The names are data, in names.json. Kazakh names as (Cyrillic, Latin passport spelling);
# surnames are in the masculine form (the feminine adds -а / -a).
_NAMES = json.loads((Path(__file__).with_name("names.json")).read_text(encoding="utf-8"))
_KZ_MALE = tuple(tuple(pair) for pair in _NAMES["male"])
_KZ_FEMALE = tuple(tuple(pair) for pair in _NAMES["female"])
_KZ_SURNAMES = tuple(tuple(pair) for pair in _NAMES["surnames"])
# Given names and surnames of the other citizenships (Mongolian: the father's name in
# the genitive stands as the surname, before the given name).
_KGZ, _TJK, _TKM, _MNG, _AFG, _IRN = (
    {part: tuple(names) for part, names in _NAMES[code].items()} for code in ("KGZ", "TJK", "TKM", "MNG", "AFG", "IRN"))

# Citizenships of ethnic Kazakhs coming home, and of everyone else, with weights.
_KAZAKH_CITIZENSHIPS = (("UZB", 40), ("CHN", 18), ("MNG", 14), ("TKM", 12), ("RUS", 10), ("KGZ", 6))
_OTHER_CITIZENSHIPS = (("UZB", 24), ("RUS", 18), ("KGZ", 12), ("TJK", 11), ("CHN", 10), ("TUR", 9),
                       ("TKM", 4), ("MNG", 3), ("AFG", 5), ("IRN", 4))
# Passport number shapes: (letters prefix choices, digits).
_DOCUMENTS: dict[str, tuple[tuple[str, ...], int]] = {
    "UZB": (("AA", "AB", "AC", "FA", "FB"), 7), "RUS": (("75", "76", "77"), 7), "KGZ": (("AC", "AN", "PE"), 7),
    "TJK": (("40", "41"), 7), "TKM": (("A", "B"), 7), "CHN": (("E", "EA", "EB"), 8), "MNG": (("E", "P"), 7),
    "TUR": (("U", "S"), 8), "AFG": (("P", "OA"), 8), "IRN": (("K", "Z"), 8),
}


def _feminine(surname: str) -> str:
    """Slavic-pattern surnames (-ов, -ев, -ин, -ow, -ew) take -а / -a."""
    if surname.endswith(("ов", "ев", "ин", "ёв")):
        return surname + "а"
    if surname.endswith(("ov", "ev", "in", "ow", "ew")):
        return surname + "a"
    return surname


def _name_part(part: str) -> bool:
    """A name part that keeps any full name built from such parts (joined by
    single spaces) valid and already normalised."""
    return (bool(part) and part == normalise_full_name(part) and " " not in part
            and full_name_problem(part) is None)


class Names:
    """Full names fitting a citizenship (and ethnic Kazakh origin). Every part is
    checked once here, so every name built from them passes
    :func:`services.rules.full_name_problem` (letters, hyphens and apostrophes
    joined by single spaces) without checking each one."""

    def __init__(self, rng: random.Random, seed: int) -> None:
        from faker import Faker

        self.rng = rng
        fakers: dict[str, Any] = {}

        def pool(locale: str, method: str, n: int = 300) -> list[str]:
            if locale not in fakers:
                fakers[locale] = Faker(locale)
            fake = fakers[locale]
            fake.seed_instance(seed)
            names = {unicodedata.normalize("NFC", getattr(fake, method)()).strip() for _ in range(n)}
            return sorted(x for x in names if _name_part(x))

        self.uz = {s: (pool("uz_UZ", f"first_name_{s}"), pool("uz_UZ", f"last_name_{s}")) for s in ("male", "female")}
        self.ru = {s: (pool("ru_RU", f"first_name_{s}"), pool("ru_RU", f"last_name_{s}"),
                       pool("ru_RU", f"middle_name_{s}")) for s in ("male", "female")}
        self.tr = {s: (pool("tr_TR", f"first_name_{s}"), pool("tr_TR", "last_name")) for s in ("male", "female")}
        self.zh = (pool("zh_CN", "first_romanized_name"), pool("zh_CN", "last_romanized_name"))
        for pools in (*self.uz.values(), *self.ru.values(), *self.tr.values(), self.zh):
            if not all(pools):  # pragma: no cover - a Faker release without these names
                raise RuntimeError("Faker returned no usable names for a locale the demo data needs")
        fixed = [n for pair in (*_KZ_MALE, *_KZ_FEMALE, *_KZ_SURNAMES) for n in pair]
        fixed += [_feminine(n) for pair in _KZ_SURNAMES for n in pair]
        fixed += [f"{n}{suffix}" for pair in _KZ_MALE for n in pair for suffix in ("ұлы", "қызы", "uly", "kyzy")]
        for lists in (_KGZ, _TJK, _TKM, _MNG, _AFG, _IRN):
            fixed += [part for names in lists.values() for name in names for part in name.split(" ")]
            fixed += [_feminine(n) for n in lists["surname"]]
        bad = [n for n in fixed if not _name_part(n)]
        if bad:  # pragma: no cover - the lists above are fixed
            raise AssertionError(f"invalid name parts: {bad}")

    def full_name(self, citizenship: str, ethnic_kazakh: bool, sex: str) -> str:
        return self._kazakh(citizenship, sex) if ethnic_kazakh else self._foreign(citizenship, sex)

    def _kazakh(self, citizenship: str, sex: str) -> str:
        c = self.rng.choice
        male = sex == "MALE"
        first = c(_KZ_MALE if male else _KZ_FEMALE)
        father = c(_KZ_MALE)
        if citizenship in ("CHN", "MNG"):
            # Kazakhs of Xinjiang and Bayan-Ölgii mostly carry the father's name as their surname.
            if citizenship == "MNG":
                return f"{father[0]}{'ұлы' if male else 'қызы'} {first[0]}"
            return f"{father[1]}{'uly' if male else 'kyzy'} {first[1]}"
        surname = c(_KZ_SURNAMES)
        if citizenship in ("UZB", "TKM"):  # Latin-script passports
            return f"{surname[1] if male else _feminine(surname[1])} {first[1]}"
        patronymic = f" {father[0]}{'ұлы' if male else 'қызы'}" if self.rng.random() < 0.5 else ""
        return f"{surname[0] if male else _feminine(surname[0])} {first[0]}{patronymic}"

    def _foreign(self, citizenship: str, sex: str) -> str:
        c = self.rng.choice
        s = "male" if sex == "MALE" else "female"
        if citizenship == "UZB":
            first, last = self.uz[s]
            return f"{c(last)} {c(first)}"
        if citizenship == "RUS":
            first, last, middle = self.ru[s]
            return f"{c(last)} {c(first)} {c(middle)}"
        if citizenship == "TUR":
            first, last = self.tr[s]
            return f"{c(first)} {c(last)}"
        if citizenship == "CHN":
            first, last = self.zh
            return f"{c(last)} {c(first)}"
        if citizenship == "MNG":
            return f"{c(_MNG['surname'])} {c(_MNG[s])}"
        if citizenship in ("AFG", "IRN"):
            lists = _AFG if citizenship == "AFG" else _IRN
            return f"{c(lists[s])} {c(lists['surname'])}"
        lists = {"KGZ": _KGZ, "TJK": _TJK, "TKM": _TKM}[citizenship]
        surname = c(lists["surname"])
        return f"{surname if s == 'male' else _feminine(surname)} {c(lists[s])}"




class People:
    """The people of the demo data, drawn with ``rng``; numbers are kept unique
    in the sets of ``ctx`` (loaded from the database, extended as drawn)."""

    def __init__(self, ctx: Context, rng: random.Random, seed: int) -> None:
        self.ctx = ctx
        self.rng = rng
        self.names = Names(rng, seed)
        self.kazakh_citizenships = Choice(_KAZAKH_CITIZENSHIPS)
        self.other_citizenships = Choice(_OTHER_CITIZENSHIPS)

    def full_name(self, citizenship: str, ethnic_kazakh: bool, sex: str) -> str:
        return self.names.full_name(citizenship, ethnic_kazakh, sex)

    def birth_date(self, on: dt.date, age: int) -> dt.date:
        latest = add_years(on, -age)
        earliest = add_years(on, -(age + 1)) + dt.timedelta(days=1)
        if age_on(earliest, on) > age:  # born on Feb 29, one is a year older on Feb 28 of a common year
            earliest += dt.timedelta(days=1)
        birth = earliest + dt.timedelta(days=ri(self.rng, 0, (latest - earliest).days))
        assert age_on(birth, on) == age
        return birth

    def iin(self, birth: dt.date, sex: str) -> str | None:
        for _ in range(100):
            iin = make_iin(birth, sex, ri(self.rng, 0, 9999))
            if iin not in self.ctx.iins:
                self.ctx.iins.add(iin)
                return iin
        return None  # (practically never) that birth date's IINs are taken: none, like half the applicants

    def document(self, citizenship: str) -> str:
        prefixes, digits = _DOCUMENTS.get(citizenship, (("N",), 8))
        while True:
            number = self.rng.choice(prefixes) + f"{self.rng.randrange(10 ** digits):0{digits}d}"
            if (citizenship, number) not in self.ctx.documents:
                self.ctx.documents.add((citizenship, number))
                return number

    def certificate(self, year: int) -> str:
        while True:
            number = f"KT-{year}-{self.rng.randrange(10 ** 7):07d}"
            if number not in self.ctx.certificates:
                self.ctx.certificates.add(number)
                return number

    def family(self, b: Batch, app_index: int, applicant: dict[str, Any], members: int, on: dt.date) -> None:
        """``members`` family members of the applicant, as the questionnaire lists them on
        ``on``: most often a spouse and children, now and then a parent or a sibling."""
        rng = self.rng
        citizenship, ethnic = applicant["citizenship"], applicant["ethnic_kazakh"]
        age = age_on(applicant["birth_date"], on)
        for position in range(1, members + 1):
            r = rng.random()
            if position == 1 and age >= 20 and r < 0.85:
                relation, sex = "SPOUSE", "FEMALE" if applicant["sex"] == "MALE" else "MALE"
                member_age = max(18, min(90, age + ri(rng, -6, 6)))
            elif r < 0.85:
                relation, sex, member_age = "CHILD", rng.choice(("MALE", "FEMALE")), ri(rng, 0, min(age - 18, 30))
            elif r < 0.95 and age <= 70:
                relation, sex, member_age = "PARENT", rng.choice(("MALE", "FEMALE")), min(100, age + ri(rng, 20, 30))
            else:
                relation, sex = rng.choice(("SIBLING", "OTHER")), rng.choice(("MALE", "FEMALE"))
                member_age = max(0, age + ri(rng, -8, 8))
            birth = self.birth_date(on, member_age)
            b.add("family_member", {
                "application_id": app_index, "position": position,
                "full_name": self.full_name(citizenship, ethnic, sex), "birth_date": birth, "sex": sex,
                "relation": relation, "document_number": self.document(citizenship),
                "iin": self.iin(birth, sex) if applicant["iin"] and rng.random() < 0.7 else None,
            })

