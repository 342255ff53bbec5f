"""Synthetic demo data (``qonys demo-data``): realistic applicants and
applications in every state and on every route, consistent with the rules the
services enforce.

What is generated, per application:

- an applicant with a name that fits the citizenship (Faker where it has the
  locale, small hand-written lists elsewhere; ethnic Kazakhs get Kazakh names),
  a unique document number, about half with a valid IIN, aged 18–70;
- the application (``RP-<year>-NNNNNN`` numbers taken from the ``RP-<year>``
  counter, so the API never hands out one of them again), submitted during the
  seed year up to now, due 29 days later;
- past ``SUBMITTED``: the language test (unique certificate number), the
  questionnaire (with the family members it lists for most families larger
  than one: 1 + members = family size), one check per active check type (all completed before
  scoring), the interview with its outcome and the score, computed by the real
  engine (:class:`services.scoring.Evaluator`) on facts built by
  :func:`services.facts.build`, as :func:`services.facts.gather` builds them, under the published model in force
  on the scoring date (the score's ``computed_at`` date in Almaty);
- decisions: KANDAS applications are approved by monthly selection rounds
  (ranked like :func:`services.quotas.plan_round`, seats = family size, never
  past the quota), LABOUR approvals take one seat of their LABOUR quota,
  GENERAL ones need none; some are rejected or withdrawn;
- approved KANDAS families get a social contract (``SC-<year>-NNNNNN``) with
  support payments within each measure's cap, ``total_support`` equal to the
  ledger, and a few terminations with the refund the rule gives.

Speed (100,000 applications are about a million rows): batches are built in
Python, in a thread, while the previous ones are written; each batch is one
transaction. On PostgreSQL two writers run at once and use ``COPY`` (through
asyncpg, on the session's own connection and transaction); on SQLite one writer
uses Core ``INSERT`` executemany. Primary keys are reserved per batch
(``nextval`` on PostgreSQL, so the sequences stay right and concurrent writers
never collide; ``max(id)`` under SQLite's write lock), human-readable numbers by
advancing their counter rows. Scores come from a memoised use of the engine
(see :class:`_Engine`). Running it again adds as many again; an interrupted run
keeps the batches it committed.
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import itertools
import json
import math
import operator
import random
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import case, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from models import (
    Agency,
    Applicant,
    Application,
    ApplicationDecision,
    Check,
    CheckType,
    ContractTermination,
    DeficitOccupation,
    FamilyMember,
    Interview,
    LanguageTest,
    MrpValue,
    NumberSequence,
    Occupation,
    Questionnaire,
    Quota,
    RefundPayment,
    Region,
    Score,
    ScoringModel,
    SelectionRound,
    SelectionRoundApproval,
    SelectionRoundPassedOver,
    SocialContract,
    SupportMeasure,
    SupportPayment,
    TerminationReasonRule,
)
from models.base import ALMATY, utcnow
from core.db import transaction
from models.enums import QuotaKind, ScoringModelStatus
from models.types import CENT
from services import audit, scoring
from services.facts import build as build_facts
from services.errors import invalid, invalid_state
from services.quotas import Candidate, plan_round
from services.rules import add_years, age_on, full_name_problem, make_iin, normalise_full_name
from services.scoring_models import status_after
from services.search import search_key
from services.viewer import SYSTEM

__all__ = ["DEMO_YEAR", "TABLE_ORDER", "Progress", "generate"]

Progress = Callable[[int, int], None]

DEMO_YEAR = 2026  # the year of the seeded quotas, deficit lists and default model
DUE_DAYS = 29
CONTRACT_YEARS = 5
WRITERS = 2  # concurrent writing transactions on PostgreSQL
OFFICER = "demo-officer"

# Tables in the order they are written (parents first), with their foreign keys
# to rows of the same batch: column -> parent table.
TABLE_ORDER: tuple[str, ...] = (
    "applicant", "application", "language_test", "questionnaire", "family_member", "check_result", "interview",
    "score", "selection_round", "selection_round_approval", "selection_round_passed_over", "application_decision",
    "social_contract", "support_payment", "contract_termination", "refund_payment",
)
_TABLES: dict[str, sa.Table] = {
    m.__tablename__: m.__table__  # type: ignore[attr-defined]
    for m in (Applicant, Application, LanguageTest, Questionnaire, FamilyMember, Check, Interview, Score, SelectionRound,
              SelectionRoundApproval, SelectionRoundPassedOver, ApplicationDecision, SocialContract, SupportPayment,
              ContractTermination, RefundPayment)
}
_REFS: dict[str, dict[str, str]] = {
    "application": {"applicant_id": "applicant"},
    "language_test": {"application_id": "application"},
    "questionnaire": {"application_id": "application"},
    "family_member": {"application_id": "application"},
    "check_result": {"application_id": "application"},
    "interview": {"application_id": "application"},
    "score": {"application_id": "application"},
    "selection_round_approval": {"round_id": "selection_round", "application_id": "application"},
    "selection_round_passed_over": {"round_id": "selection_round", "application_id": "application"},
    "application_decision": {"application_id": "application", "selection_round_id": "selection_round"},
    "social_contract": {"application_id": "application"},
    "support_payment": {"contract_id": "social_contract"},
    "contract_termination": {"contract_id": "social_contract"},
    "refund_payment": {"contract_id": "social_contract"},
}

# --------------------------------------------------------------------------
# names

# Kazakh names as (Cyrillic, Latin passport spelling).
_KZ_MALE = (
    ("Нұрлан", "Nurlan"), ("Ерлан", "Yerlan"), ("Асхат", "Askhat"), ("Бауыржан", "Bauyrzhan"),
    ("Данияр", "Daniyar"), ("Ерболат", "Yerbolat"), ("Қайрат", "Kairat"), ("Мұрат", "Murat"),
    ("Серік", "Serik"), ("Айдос", "Aidos"), ("Әділет", "Adilet"), ("Ержан", "Yerzhan"),
    ("Талғат", "Talgat"), ("Жандос", "Zhandos"), ("Нұржан", "Nurzhan"), ("Арман", "Arman"),
    ("Ғалым", "Galym"), ("Бекзат", "Bekzat"), ("Дәулет", "Daulet"), ("Ақжол", "Akzhol"),
    ("Саят", "Sayat"), ("Ермек", "Yermek"), ("Қуаныш", "Kuanysh"), ("Болат", "Bolat"),
)
_KZ_FEMALE = (
    ("Айгерім", "Aigerim"), ("Гүлнар", "Gulnar"), ("Динара", "Dinara"), ("Жанар", "Zhanar"),
    ("Сәуле", "Saule"), ("Әсел", "Assel"), ("Ақмарал", "Akmaral"), ("Мөлдір", "Moldir"),
    ("Назерке", "Nazerke"), ("Гүлмира", "Gulmira"), ("Айжан", "Aizhan"), ("Жұлдыз", "Zhuldyz"),
    ("Салтанат", "Saltanat"), ("Ботагөз", "Botagoz"), ("Ләззат", "Lazzat"), ("Меруерт", "Meruyert"),
    ("Аружан", "Aruzhan"), ("Балжан", "Balzhan"), ("Қарлығаш", "Karlygash"), ("Перизат", "Perizat"),
)
_KZ_SURNAMES = (  # masculine form; the feminine adds -а / -a
    ("Ахметов", "Akhmetov"), ("Нұрланов", "Nurlanov"), ("Сейітов", "Seitov"), ("Жұмабаев", "Zhumabayev"),
    ("Оспанов", "Ospanov"), ("Тоқтаров", "Toktarov"), ("Қасымов", "Kassymov"), ("Әбдірахманов", "Abdrakhmanov"),
    ("Бекмұратов", "Bekmuratov"), ("Сұлтанов", "Sultanov"), ("Омаров", "Omarov"), ("Ибраев", "Ibrayev"),
    ("Мұқанов", "Mukanov"), ("Серікбаев", "Serikbayev"), ("Төлеуов", "Toleuov"), ("Есенов", "Yessenov"),
    ("Байжанов", "Baizhanov"), ("Қожахметов", "Kozhakhmetov"), ("Жақсылықов", "Zhaksylykov"),
    ("Әлімжанов", "Alimzhanov"),
)
_KGZ = {
    "male": ("Бакыт", "Нурбек", "Азамат", "Эрмек", "Улан", "Талант", "Кубаныч", "Марат", "Бектур",
             "Жыргалбек", "Чынгыз", "Адилет", "Темирлан", "Элдияр"),
    "female": ("Айгуль", "Гулзат", "Жылдыз", "Назгуль", "Чолпон", "Айпери", "Бегимай", "Мээрим", "Асель",
               "Нургуль", "Динара", "Жибек"),
    "surname": ("Асанов", "Токтогулов", "Мамытов", "Жумабаев", "Абдыкадыров", "Исаков", "Осмонов", "Сыдыков",
                "Бакиров", "Кадыров", "Турдубаев", "Эсенбеков", "Алымкулов", "Шамшиев"),
}
_TJK = {
    "male": ("Фаррух", "Рустам", "Далер", "Шохрух", "Бахтиёр", "Джамшед", "Парвиз", "Сухроб", "Хуршед",
             "Алишер", "Умед", "Бехруз", "Фирдавс", "Манучехр"),
    "female": ("Зарина", "Нигина", "Мадина", "Фарангис", "Гулнора", "Малика", "Шахноза", "Тахмина",
               "Мехрангез", "Парвина", "Сабрина", "Дилноза"),
    "surname": ("Рахимов", "Каримов", "Назаров", "Сафаров", "Шарипов", "Раджабов", "Давлатов", "Холов",
                "Мирзоев", "Саидов", "Юсуфов", "Одинаев", "Рахмонзода", "Хамидзода", "Шарифзода", "Ашурзода"),
}
_TKM = {
    "male": ("Merdan", "Serdar", "Döwlet", "Batyr", "Maksat", "Myrat", "Berdi", "Atamyrat", "Rahman",
             "Aýdogdy", "Şatlyk", "Kerim", "Gurban", "Ylýas"),
    "female": ("Aýgül", "Bahar", "Jeren", "Maýsa", "Ogulgerek", "Gülnara", "Mähri", "Leýli", "Ogulşat",
               "Sona", "Näzik", "Enejan"),
    "surname": ("Annaýew", "Orazow", "Berdiýew", "Nurmuhammedow", "Ataýew", "Hojaýew", "Gurbanow", "Muradow",
                "Baýramow", "Saparow", "Çaryýew", "Durdyýew"),
}
_MNG = {  # father's name in the genitive, then the given name
    "male": ("Батбаяр", "Ганбаатар", "Тэмүүжин", "Мөнхбат", "Отгонбаяр", "Эрдэнэбат", "Сүхбат", "Бат-Эрдэнэ",
             "Ганзориг", "Төмөрбаатар", "Баярсайхан", "Энхбаяр"),
    "female": ("Оюунчимэг", "Сарантуяа", "Болормаа", "Нарантуяа", "Энхтуяа", "Мөнхзул", "Ариунаа", "Солонго",
               "Цэцэгмаа", "Уранчимэг", "Хулан", "Номин"),
    "surname": ("Батын", "Доржийн", "Ганбатын", "Энхбаярын", "Цэрэнгийн", "Бямбын", "Сүхбаатарын", "Очирын",
                "Пүрэвийн", "Дашийн", "Лхагвын", "Гомбын", "Баатарын", "Жамсрангийн"),
}
_AFG = {
    "male": ("Ahmad", "Mohammad", "Abdul Rahim", "Farid", "Hamid", "Jawad", "Khalid", "Nasir", "Sayed", "Wahid",
             "Zabiullah", "Mirwais", "Naveed"),
    "female": ("Fatima", "Mariam", "Zahra", "Shabnam", "Farzana", "Laila", "Nargis", "Parwana", "Sadia",
               "Zarghona", "Homa", "Malalai"),
    "surname": ("Ahmadzai", "Karimi", "Noori", "Rahimi", "Sultani", "Hakimi", "Popal", "Stanikzai", "Barakzai",
                "Wardak", "Safi", "Amiri", "Haidari", "Sadat"),
}
_IRN = {
    "male": ("Ali", "Reza", "Mehdi", "Hossein", "Amir", "Saeed", "Hamid", "Majid", "Behnam", "Omid", "Arash",
             "Dariush"),
    "female": ("Fatemeh", "Zahra", "Maryam", "Narges", "Leila", "Shirin", "Parisa", "Roya", "Sara", "Mahsa",
               "Niloufar", "Yasaman"),
    "surname": ("Hosseini", "Mohammadi", "Rezaei", "Ahmadi", "Karimi", "Moradi", "Jafari", "Rahimi", "Hashemi",
                "Kazemi", "Ghorbani", "Sadeghi", "Tehrani", "Shirazi"),
}

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


class _Names:
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


# --------------------------------------------------------------------------
# the scoring engine, memoised per gate / criterion


class _Engine:
    """The published model ``model_id`` as a :class:`services.scoring.Evaluator`
    (the engine memoised per gate / criterion, fast enough for 100,000
    applications). A sample of applications is also scored with the full
    :func:`services.scoring.evaluate` and must agree exactly."""

    CHECK_EVERY = 97

    def __init__(self, model_id: int, version: str, definition: dict[str, Any]) -> None:
        problems = scoring.validate_definition(definition)
        if problems:
            raise invalid_state(f"scoring model {version} has an invalid definition: {problems[0].message}")
        self.model_id = model_id
        self.version = version
        self.definition = definition
        self.evaluator = scoring.Evaluator(definition, validate=False)
        self.calls = 0

    def evaluate(self, facts: dict[str, Any], route: str) -> tuple[scoring.ScoreResult, str]:
        """The score and its JSON text (what ``ScoreResult.to_json`` gives, serialised)."""
        result = self.evaluator.evaluate(facts, route)
        self.calls += 1
        if self.calls <= 20 or self.calls % self.CHECK_EVERY == 0:
            full = scoring.evaluate(self.definition, facts, route)
            if full != result or json.loads(result.json_text) != full.to_json():  # pragma: no cover - engine changed
                raise AssertionError(f"memoised scoring differs from services.scoring.evaluate: {full} != {result}")
        return result, result.json_text


# --------------------------------------------------------------------------
# reference data and what already exists


@dataclass
class _QuotaState:
    id: int
    capacity: int
    used: int
    taken: int = 0  # seats taken by this run, not yet written

    @property
    def left(self) -> int:
        return self.capacity - self.used - self.taken


@dataclass
class _Context:
    dialect: str
    regions: list[tuple[int, str, bool]]  # (id, code, labour_deficit)
    occupations: list[int]
    deficit: set[tuple[int, int, int]]  # (year, region id, occupation id)
    deficit_by_region: dict[int, list[int]]  # DEMO_YEAR
    check_types: list[tuple[int, str, bool, str]]  # active: (id, code, mandatory, agency code)
    kandas_quotas: dict[int, _QuotaState]  # region id -> DEMO_YEAR quota
    labour_quotas: dict[tuple[int, int], _QuotaState]  # (region id, occupation id) -> DEMO_YEAR quota
    mrp: dict[int, Decimal]
    measures: dict[str, tuple[int, Decimal, bool]]  # code -> (id, cap in MRP, per family member)
    refundable: dict[str, bool]
    models: list[tuple[dt.date, _Engine]]  # published, latest effective date first
    iins: set[str]
    documents: set[tuple[str, str]]
    certificates: set[str]
    number_floor: dict[str, int]  # counter name (RP-2026) -> highest number already used


async def _max_number(session: AsyncSession, column: Any, prefix: str) -> int:
    """The highest NNNNNN among numbers ``<prefix>-NNNNNN`` in ``column``."""
    value = (await session.execute(
        select(column).where(column.like(f"{prefix}-%")).order_by(func.length(column).desc(), column.desc()).limit(1)
    )).scalar_one_or_none()
    if value is None:
        return 0
    tail = value[len(prefix) + 1:]
    return int(tail) if tail.isdigit() else 0


async def _load_context(session: AsyncSession) -> _Context:
    dialect = session.get_bind().dialect.name
    regions = [(r.id, r.code, r.labour_deficit) for r in (await session.execute(
        select(Region).order_by(Region.id))).scalars()]
    occupations = list((await session.execute(select(Occupation.id).order_by(Occupation.id))).scalars())
    deficit = {(y, r, o) for y, r, o in (await session.execute(
        select(DeficitOccupation.year, DeficitOccupation.region_id, DeficitOccupation.occupation_id))).all()}
    by_region: dict[int, list[int]] = defaultdict(list)
    for y, r, o in sorted(deficit):
        if y == DEMO_YEAR:
            by_region[r].append(o)
    check_types = [(c.id, c.code, c.mandatory, agency) for c, agency in (await session.execute(
        select(CheckType, Agency.code).join(Agency, Agency.id == CheckType.agency_id)
        .where(CheckType.active.is_(True)).order_by(CheckType.id))).all()]
    kandas: dict[int, _QuotaState] = {}
    labour: dict[tuple[int, int], _QuotaState] = {}
    for q in (await session.execute(select(Quota).where(Quota.year == DEMO_YEAR).order_by(Quota.id))).scalars():
        state = _QuotaState(q.id, q.capacity, q.used)
        if q.kind == QuotaKind.KANDAS:
            kandas[q.region_id] = state
        elif q.occupation_id is not None:
            labour[(q.region_id, q.occupation_id)] = state
    mrp = {y: Decimal(a) for y, a in (await session.execute(select(MrpValue.year, MrpValue.amount))).all()}
    measures = {m.code: (m.id, Decimal(m.cap_mrp), m.per_family_member)
                for m in (await session.execute(select(SupportMeasure))).scalars()}
    refundable = {r.code.value: r.refundable for r in (await session.execute(select(TerminationReasonRule))).scalars()}
    models = [
        (m.effective_from, _Engine(m.id, m.version, m.definition))
        for m in (await session.execute(
            select(ScoringModel).where(ScoringModel.status == ScoringModelStatus.PUBLISHED)
            .order_by(ScoringModel.effective_from.desc(), ScoringModel.id.desc()))).scalars()
    ]
    iins = set((await session.execute(select(Applicant.iin).where(Applicant.iin.is_not(None)))).scalars())
    iins |= set((await session.execute(select(Application.iin).where(Application.iin.is_not(None)))).scalars())
    documents = {(c, d) for c, d in (await session.execute(
        select(Applicant.citizenship, Applicant.document_number))).all()}
    documents |= {(c, d) for c, d in (await session.execute(
        select(Application.citizenship, Application.document_number))).all()}
    certificates = set((await session.execute(select(LanguageTest.certificate_number))).scalars())
    floors: dict[str, int] = {}
    for prefix, column in (("RP", Application.number), ("SC", SocialContract.number)):
        name = f"{prefix}-{DEMO_YEAR}"
        counter = (await session.execute(
            select(NumberSequence.value).where(NumberSequence.name == name))).scalar_one_or_none()
        floors[name] = max(counter or 0, await _max_number(session, column, name))
    return _Context(dialect, regions, occupations, deficit, dict(by_region), check_types, kandas, labour, mrp,
                    measures, refundable, models, iins, documents, certificates, floors)


# --------------------------------------------------------------------------
# generation (pure Python; one batch at a time)


def _ri(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint(low, high)``, without its argument checking (this runs millions of times)."""
    return low + int(rng.random() * (high - low + 1))


class _Choice:
    """A weighted choice, drawn with one random number and a bisection."""

    __slots__ = ("values", "cumulative", "total")

    def __init__(self, pairs: Sequence[tuple[Any, float]]) -> None:
        self.values = [v for v, _ in pairs]
        self.cumulative = list(itertools.accumulate(w for _, w in pairs))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


_UTC = dt.timezone.utc


def _fixed_offset(year: int) -> dt.timedelta | None:
    """Almaty's UTC offset when it is the same all through ``year`` (and the next
    January), so that dates can be computed without a time-zone lookup each time."""
    offsets = {ALMATY.utcoffset(dt.datetime(y, m, d)) for y, m in [(year, m) for m in range(1, 13)] + [(year + 1, 1)]
               for d in (1, 10, 20)}
    return offsets.pop() if len(offsets) == 1 else None


_OFFSET = _fixed_offset(DEMO_YEAR)
_FAST_FROM = dt.datetime(DEMO_YEAR, 1, 1, tzinfo=_UTC)
_FAST_UNTIL = dt.datetime(DEMO_YEAR + 1, 1, 31, tzinfo=_UTC)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """``hour:minute`` in Almaty on ``day``, as UTC."""
    if _OFFSET is not None and _FAST_FROM.date() <= day < _FAST_UNTIL.date():
        return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=_UTC) - _OFFSET
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ALMATY).astimezone(_UTC)


def _almaty_date(moment: dt.datetime) -> dt.date:
    if _OFFSET is not None and _FAST_FROM <= moment < _FAST_UNTIL:
        return (moment + _OFFSET).date()
    return moment.astimezone(ALMATY).date()


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


_LEVELS_KAZAKH = _Choice((("A1", 3), ("A2", 12), ("B1", 30), ("B2", 33), ("C1", 22)))
_LEVELS_OTHER = _Choice((("A1", 30), ("A2", 35), ("B1", 22), ("B2", 10), ("C1", 3)))
_LEVEL_PERCENT = {"A1": (30, 75), "A2": (45, 85), "B1": (55, 92), "B2": (65, 97), "C1": (75, 100)}
_EDUCATION_SKILLED = _Choice((("SECONDARY", 10), ("VOCATIONAL", 25), ("BACHELOR", 40), ("MASTER", 18),
                               ("DOCTORATE", 7)))
_EDUCATION = _Choice((("NONE", 1), ("SECONDARY", 20), ("VOCATIONAL", 30), ("BACHELOR", 33), ("MASTER", 12),
                       ("DOCTORATE", 4)))
_FAMILY = {
    "KANDAS": _Choice(((1, 12), (2, 18), (3, 20), (4, 22), (5, 14), (6, 8), (7, 4), (8, 2))),
    "GENERAL": _Choice(((1, 35), (2, 25), (3, 20), (4, 14), (5, 6))),
    "LABOUR": _Choice(((1, 60), (2, 15), (3, 12), (4, 10), (5, 3))),
}
_KAZAKH_ROUTE = _Choice((("KANDAS", 80), ("GENERAL", 17), ("LABOUR", 3)))
_OTHER_ROUTE = _Choice((("GENERAL", 55), ("LABOUR", 45)))
_STAGES_DONE = _Choice(((0, 25), (1, 20), (2, 20), (3, 20), (4, 15)))
_RUSSIAN_HIGH = _Choice((("NONE", 10), ("BASIC", 30), ("FLUENT", 60)))
_RUSSIAN_LOW = _Choice((("NONE", 45), ("BASIC", 40), ("FLUENT", 15)))
_ENGLISH = _Choice((("NONE", 40), ("BASIC", 40), ("FLUENT", 20)))
_OUTCOME = _Choice((("PASSED", 92), ("FAILED", 5), ("NO_SHOW", 3)))
_GENERAL_REGION_WEIGHTS = {"KZ-75": 20, "KZ-71": 18, "KZ-79": 8, "KZ-19": 8, "KZ-61": 6, "KZ-35": 4, "KZ-15": 4,
                           "KZ-47": 4}
_CHECK_NOTES = (
    "a record in the registry needs an officer's review",
    "the data differ between the documents submitted",
    "the partner agency asked for additional documents",
    "the result came back incomplete",
)
_REJECT_FAILED = (
    "did not pass the preliminary selection",
    "a mandatory check was not cleared",
    "the interview was not passed",
    "the language test result is below the requirement",
)
_REJECT_PASSED = (
    "documents could not be verified in the original",
    "the applicant did not confirm the target region",
    "inconsistent information in the questionnaire",
)
_WITHDRAW = (
    "the applicant changed plans",
    "family circumstances",
    "applied again with corrected documents",
    "moved to another route",
)
_INTERVIEW_NOTES = {
    "PASSED": (None, None, "motivated; clear settlement plan", "good command of the language"),
    "FAILED": ("answers about the settlement plan were inconsistent", "could not confirm work experience"),
    "NO_SHOW": ("did not come and did not reschedule",),
}
_TERMINATION = _Choice((("LEFT_REGION", 50), ("VOLUNTARY", 20), ("BREACH", 10), ("DEATH", 8), ("DISABILITY", 7),
                        ("FORCE_MAJEURE", 5)))


@dataclass
class _Batch:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {t: [] for t in TABLE_ORDER})
    quota_seats: Counter[int] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)

    def add(self, table: str, row: dict[str, Any]) -> int:
        rows = self.rows[table]
        rows.append(row)
        return len(rows) - 1  # the batch-local index, replaced by the real id when written


class _Generator:
    def __init__(self, ctx: _Context, seed: int, now: dt.datetime) -> None:
        self.ctx = ctx
        self.rng = random.Random(f"qonys-demo:{seed}:{ctx.number_floor.get(f'RP-{DEMO_YEAR}', 0)}")
        self.names = _Names(self.rng, seed)
        self.copy = ctx.dialect == "postgresql"  # rows go in with COPY: JSON as text
        year_start = dt.datetime(DEMO_YEAR, 1, 1, tzinfo=ALMATY).astimezone(dt.timezone.utc)
        year_end = dt.datetime(DEMO_YEAR + 1, 1, 1, tzinfo=ALMATY).astimezone(dt.timezone.utc) - dt.timedelta(seconds=1)
        self.start = year_start
        self.ceiling = min(now, year_end)  # nothing happens after now, nor after the demo year
        if self.ceiling <= self.start + dt.timedelta(days=1):
            self.ceiling = self.start + dt.timedelta(days=1)
        self.today = _almaty_date(self.ceiling)
        self.span = (self.ceiling - self.start).total_seconds()
        deficit_regions = [r for r in ctx.regions if r[2]]
        self.has_kandas = bool(deficit_regions)  # KANDAS applicants settle in labour-deficit regions only
        self.kandas_regions = _Choice([
            (r[0], ctx.kandas_quotas[r[0]].capacity if r[0] in ctx.kandas_quotas else 20) for r in deficit_regions
        ] or [(0, 1)])
        labour = [(rid, len(occs)) for rid, occs in sorted(ctx.deficit_by_region.items()) if occs]
        self.has_labour = bool(labour)
        self.labour_regions = _Choice(labour or [(0, 1)])
        self.general_regions = _Choice([(r[0], _GENERAL_REGION_WEIGHTS.get(r[1], 3)) for r in ctx.regions])
        self.kazakh_citizenships = _Choice(_KAZAKH_CITIZENSHIPS)
        self.other_citizenships = _Choice(_OTHER_CITIZENSHIPS)
        self.region_deficit = {r[0]: r[2] for r in ctx.regions}

    # ---- helpers

    def _moment(self, low: dt.datetime, high: dt.datetime) -> dt.datetime:
        if high <= low:
            return low
        return low + dt.timedelta(seconds=self.rng.random() * (high - low).total_seconds())

    def _submitted_at(self) -> dt.datetime:
        # Working hours in Almaty on a random day of the year so far.
        for _ in range(10):
            moment = self.start + dt.timedelta(seconds=self.rng.random() * self.span)
            day = _almaty_date(moment)
            at = _at(day, _ri(self.rng, 8, 19), _ri(self.rng, 0, 59)) + dt.timedelta(
                seconds=_ri(self.rng, 0, 59), microseconds=_ri(self.rng, 0, 999_999))
            if self.start <= at <= self.ceiling:
                return at
        return self.start + dt.timedelta(seconds=self.rng.random() * self.span)

    def _birth_date(self, on: dt.date, age: int) -> dt.date:
        latest = add_years(on, -age)
        earliest = add_years(on, -(age + 1)) + dt.timedelta(days=1)
        birth = earliest + dt.timedelta(days=_ri(self.rng, 0, (latest - earliest).days))
        assert age_on(birth, on) == age
        return birth

    def _iin(self, birth: dt.date, sex: str) -> str | None:
        for _ in range(100):
            iin = make_iin(birth, sex, _ri(self.rng, 0, 9999))
            if iin not in self.ctx.iins:
                self.ctx.iins.add(iin)
                return iin
        return None  # (practically never) that birth date's IINs are taken: none, like half the applicants

    def _document(self, citizenship: str) -> str:
        prefixes, digits = _DOCUMENTS.get(citizenship, (("N",), 8))
        while True:
            number = self.rng.choice(prefixes) + f"{self.rng.randrange(10 ** digits):0{digits}d}"
            if (citizenship, number) not in self.ctx.documents:
                self.ctx.documents.add((citizenship, number))
                return number

    def _certificate(self, year: int) -> str:
        while True:
            number = f"KT-{year}-{self.rng.randrange(10 ** 7):07d}"
            if number not in self.ctx.certificates:
                self.ctx.certificates.add(number)
                return number

    def _engine(self, on: dt.date) -> _Engine | None:
        for effective_from, engine in self.ctx.models:
            if effective_from <= on:
                return engine
        return None

    def _family(self, b: _Batch, app_index: int, applicant: dict[str, Any], members: int, on: dt.date) -> None:
        """``members`` family members of the applicant, as the questionnaire lists them on
        ``on``: most often a spouse and children, now and then a parent or a sibling."""
        rng = self.rng
        citizenship, ethnic = applicant["citizenship"], applicant["ethnic_kazakh"]
        age = age_on(applicant["birth_date"], on)
        for position in range(1, members + 1):
            r = rng.random()
            if position == 1 and age >= 20 and r < 0.85:
                relation, sex = "SPOUSE", "FEMALE" if applicant["sex"] == "MALE" else "MALE"
                member_age = max(18, min(90, age + _ri(rng, -6, 6)))
            elif r < 0.85:
                relation, sex, member_age = "CHILD", rng.choice(("MALE", "FEMALE")), _ri(rng, 0, min(age - 18, 30))
            elif r < 0.95 and age <= 70:
                relation, sex, member_age = "PARENT", rng.choice(("MALE", "FEMALE")), min(100, age + _ri(rng, 20, 30))
            else:
                relation, sex = rng.choice(("SIBLING", "OTHER")), rng.choice(("MALE", "FEMALE"))
                member_age = max(0, age + _ri(rng, -8, 8))
            birth = self._birth_date(on, member_age)
            b.add("family_member", {
                "application_id": app_index, "position": position,
                "full_name": self.names.full_name(citizenship, ethnic, sex), "birth_date": birth, "sex": sex,
                "relation": relation, "document_number": self._document(citizenship),
                "iin": self._iin(birth, sex) if applicant["iin"] and rng.random() < 0.7 else None,
            })

    def _check_status(self, code: str, mandatory: bool, q: dict[str, Any] | None) -> str:
        r = self.rng.random()
        if code == "CRIMINAL_RECORD" and q is not None and q["criminal_record"] and r < 0.7:
            return "FLAGGED"
        if not mandatory:
            return "CLEARED" if r < 0.85 else "FLAGGED"
        return "CLEARED" if r < 0.99 else ("FLAGGED" if r < 0.997 else "REJECTED")

    # ---- one batch

    def batch(self, n: int) -> _Batch:
        b = _Batch()
        round_candidates: dict[tuple[int, dt.datetime], list[tuple[int, int, dt.datetime, int]]] = defaultdict(list)
        for _ in range(n):
            self._application(b, round_candidates)
        approvals = self._rounds(b, round_candidates)
        self._decisions(b, approvals)
        self._contracts(b)
        return b

    def _decisions(self, b: _Batch, approvals: dict[int, tuple[int, str]]) -> None:
        """The decision record of every application decided or withdrawn (as
        services.decisions.close writes it), and its checks still REQUESTED cancelled."""
        apps = b.rows["application"]
        for app_index, app in enumerate(apps):
            if app["status"] not in ("APPROVED", "REJECTED", "WITHDRAWN"):
                continue
            round_index, reason = approvals.get(app_index, (None, app["decision_reason"]))
            by = app["owner_subject"] if app["status"] == "WITHDRAWN" and app["owner_subject"] else OFFICER
            b.add("application_decision", {
                "application_id": app_index, "outcome": app["status"], "reason": reason,
                "decided_at": app["decided_at"], "decided_by": by, "selection_round_id": round_index,
            })
        for check in b.rows["check_result"]:
            app = apps[check["application_id"]]
            if check["status"] == "REQUESTED" and app["status"] in ("APPROVED", "REJECTED", "WITHDRAWN"):
                check["status"] = "CANCELLED"
                check["details"] = ("Cancelled: the application was withdrawn." if app["status"] == "WITHDRAWN"
                                    else f"Cancelled: the application was decided ({app['status']}) "
                                         "before this result came.")
                check["updated_at"] = max(app["decided_at"], check["updated_at"] + dt.timedelta(microseconds=1))
                check["recorded_by"] = OFFICER

    def _application(self, b: _Batch, round_candidates: dict[Any, list[Any]]) -> None:
        rng = self.rng
        ctx = self.ctx
        ethnic = rng.random() < 0.45
        if ethnic:
            citizenship = self.kazakh_citizenships(rng)
            route = _KAZAKH_ROUTE(rng)
        else:
            citizenship = self.other_citizenships(rng)
            route = _OTHER_ROUTE(rng)
        if (route == "LABOUR" and not self.has_labour) or (route == "KANDAS" and not self.has_kandas):
            route = "GENERAL"
        sex = "MALE" if rng.random() < (0.8 if route == "LABOUR" else 0.5) else "FEMALE"
        submitted_at = self._submitted_at()
        submitted_on = _almaty_date(submitted_at)
        age = int(rng.triangular(20, 56, 31)) if route == "LABOUR" else int(rng.triangular(18, 71, 33))
        age = max(18, min(70, age))
        birth = self._birth_date(submitted_on, age)
        iin = self._iin(birth, sex) if rng.random() < 0.5 else None
        document = self._document(citizenship)
        owner = f"demo-{rng.getrandbits(48):012x}" if rng.random() < 0.6 else None

        occupation = None
        if route == "KANDAS":
            region = self.kandas_regions(rng)
        elif route == "LABOUR":
            region = self.labour_regions(rng)
            occupation = rng.choice(ctx.deficit_by_region[region])
        else:
            region = self.general_regions(rng)
            if rng.random() < 0.3 and ctx.occupations:
                occupation = rng.choice(ctx.occupations)

        applicant = b.add("applicant", {
            "owner_subject": owner, "iin": iin, "full_name": self.names.full_name(citizenship, ethnic, sex),
            "birth_date": birth, "sex": sex, "citizenship": citizenship, "ethnic_kazakh": ethnic,
            "document_number": document, "created_at": submitted_at,
        })
        app: dict[str, Any] = {
            "number": None, "applicant_id": applicant, "owner_subject": owner, "route": route,
            "target_region_id": region, "occupation_id": occupation, "status": "SUBMITTED",
            "citizenship": citizenship, "document_number": document, "iin": iin, "submitted_at": submitted_at,
            "due_date": submitted_on + dt.timedelta(days=DUE_DAYS), "decided_at": None, "decision_reason": None,
            "seats": None, "quota_id": None, "updated_at": submitted_at, "search_key": None,
        }
        app_index = b.add("application", app)

        # How far it got.
        elapsed_days = (self.ceiling - submitted_at).total_seconds() / 86400
        in_progress = 0.04 if elapsed_days >= 30 else max(0.04, 1 - elapsed_days / 30)
        r = rng.random()
        if elapsed_days < 1 or r < in_progress:
            plan = "in_progress"
        elif r < in_progress + 0.03:
            plan = "withdrawn_early"
        else:
            plan = "scored"

        if plan != "scored":
            stages = _STAGES_DONE(rng)
            end = self.ceiling if plan == "in_progress" else self._moment(
                submitted_at + (self.ceiling - submitted_at) * 0.2, self.ceiling)
            last = self._stages(b, app_index, app, stages, submitted_at, end, complete=False,
                                open_ended=plan == "in_progress")
            if plan == "withdrawn_early":
                app["status"] = "WITHDRAWN"
                app["decided_at"] = self._moment(last, end)
                app["decision_reason"] = rng.choice(_WITHDRAW) if rng.random() < 0.7 else None
                app["updated_at"] = app["decided_at"]
            else:
                app["updated_at"] = last
            b.statuses[app["status"]] += 1
            return

        # Scored: every stage, then the score, then perhaps a decision.
        budget = min(elapsed_days * 0.95, rng.triangular(4, 40, 16))
        scored_at = submitted_at + dt.timedelta(days=budget)
        facts = self._stages(b, app_index, app, 4, submitted_at, scored_at, complete=True)
        on = _almaty_date(scored_at)
        engine = self._engine(on)
        if engine is None:  # no model in force that day: it waits, fully staged
            b.statuses[app["status"]] += 1
            return
        assert isinstance(facts, dict)
        result, as_text = engine.evaluate(facts, route)
        b.add("score", {
            "application_id": app_index, "scoring_model_id": engine.model_id, "model_version": engine.version,
            "total": result.total, "max_total": result.max_total, "pass_mark": result.pass_mark,
            "passed": result.passed, "result": as_text if self.copy else result.to_json(), "computed_at": scored_at,
        })
        app["status"] = status_after(result).value
        app["updated_at"] = scored_at
        decided_at = self._moment(min(scored_at + dt.timedelta(hours=4), self.ceiling),
                                  min(scored_at + dt.timedelta(days=12), self.ceiling))
        x = rng.random()
        if not result.passed:
            if x < 0.05:
                self._decide(app, "WITHDRAWN", decided_at, rng.choice(_WITHDRAW))
            elif x < 0.65:
                self._decide(app, "REJECTED", decided_at, rng.choice(_REJECT_FAILED))
        elif route == "KANDAS":
            if x < 0.06:
                self._decide(app, "WITHDRAWN", decided_at, rng.choice(_WITHDRAW))
            elif x < 0.10:
                self._decide(app, "REJECTED", decided_at, rng.choice(_REJECT_PASSED))
            elif x < 0.88 and region in ctx.kandas_quotas:
                # Selection rounds run on the first working morning of the next month.
                month = _add_months(on.replace(day=1), 1)
                ran_at = min(_at(month, 10), self.ceiling)
                round_candidates[(region, ran_at)].append(
                    (app_index, result.total, submitted_at, facts["questionnaire.familySize"]))
        elif route == "GENERAL":
            if x < 0.05:
                self._decide(app, "WITHDRAWN", decided_at, rng.choice(_WITHDRAW))
            elif x < 0.15:
                self._decide(app, "REJECTED", decided_at, rng.choice(_REJECT_PASSED))
            elif x < 0.72:
                self._decide(app, "APPROVED", decided_at, None)
        else:  # LABOUR: one seat of the (region, occupation, year) quota, if any is left
            quota = ctx.labour_quotas.get((region, occupation)) if _almaty_date(decided_at).year == DEMO_YEAR else None
            if x < 0.05:
                self._decide(app, "WITHDRAWN", decided_at, rng.choice(_WITHDRAW))
            elif x < 0.12:
                self._decide(app, "REJECTED", decided_at, rng.choice(_REJECT_PASSED))
            elif x < 0.8 and quota is not None and quota.left >= 1:
                quota.taken += 1
                b.quota_seats[quota.id] += 1
                app["quota_id"] = quota.id
                app["seats"] = 1
                self._decide(app, "APPROVED", decided_at, None)
        b.statuses[app["status"]] += 1

    @staticmethod
    def _decide(app: dict[str, Any], status: str, at: dt.datetime, reason: str | None) -> None:
        app["status"] = status
        app["decided_at"] = at
        app["decision_reason"] = reason
        app["updated_at"] = at

    def _stages(
        self, b: _Batch, app_index: int, app: dict[str, Any], stages: int, begin: dt.datetime, end: dt.datetime,
        *, complete: bool, open_ended: bool = False,
    ) -> dt.datetime | dict[str, Any]:
        """Record the first ``stages`` stages between ``begin`` and ``end``. With
        ``complete`` every stage is finished and the scoring facts are returned;
        otherwise the time of the last event."""
        rng = self.rng
        ctx = self.ctx
        applicant = b.rows["applicant"][app["applicant_id"]]
        ethnic = applicant["ethnic_kazakh"]
        birth = applicant["birth_date"]
        route = app["route"]
        region = app["target_region_id"]
        occupation = app["occupation_id"]
        length = end - begin
        marks = sorted(rng.random() for _ in range(6))
        times = [begin + length * (0.02 + 0.9 * m) for m in marks]
        last = begin
        test = q = None
        if stages >= 1:
            level = (_LEVELS_KAZAKH if ethnic else _LEVELS_OTHER)(rng)
            low, high = _LEVEL_PERCENT[level]
            listening, reading = _ri(rng, low, high), _ri(rng, low, high)
            if rng.random() < 0.04:
                if rng.random() < 0.5:
                    listening = _ri(rng, 8, 29)
                else:
                    reading = _ri(rng, 8, 29)
            recorded_at = times[0]
            test = {
                "application_id": app_index, "level": level, "listening_percent": listening,
                "reading_percent": reading, "certificate_number": self._certificate(_almaty_date(recorded_at).year),
                "taken_on": _almaty_date(recorded_at) - dt.timedelta(days=int(rng.triangular(0, 150, 10))),
                "recorded_at": recorded_at,
            }
            b.add("language_test", test)
            last = recorded_at
        if stages >= 2:
            age = age_on(applicant["birth_date"], _almaty_date(times[1]))
            most = max(0, min(60, age - 18))
            experience = min(most, int(rng.random() ** 1.4 * (most + 1)))
            if route == "GENERAL":
                savings = rng.lognormvariate(math.log(9_000_000), 0.5)
            else:
                savings = rng.lognormvariate(math.log(1_500_000), 1.0)
            citizenship = applicant["citizenship"]
            russian_fluent = citizenship in ("RUS", "KGZ", "UZB", "TJK", "TKM")
            q_occupation = occupation if occupation is not None else (
                rng.choice(ctx.occupations) if ctx.occupations and rng.random() < 0.45 else None)
            q = {
                "application_id": app_index,
                "education_level": (_EDUCATION_SKILLED if route == "GENERAL" else _EDUCATION)(rng),
                "work_experience_years": experience, "occupation_id": q_occupation,
                "family_size": _FAMILY[route](rng),
                "russian": (_RUSSIAN_HIGH if russian_fluent else _RUSSIAN_LOW)(rng),
                "english": _ENGLISH(rng),
                "relatives_in_kazakhstan": rng.random() < (0.65 if ethnic else 0.2),
                "prior_stay_in_kazakhstan": rng.random() < (0.7 if applicant["iin"] else 0.15),
                "criminal_record": rng.random() < 0.02,
                "deported_before": rng.random() < 0.015,
                "savings": Decimal(int(savings) // 50_000 * 50_000),  # declared in round sums
                "submitted_at": times[1],
            }
            b.add("questionnaire", q)
            if q["family_size"] > 1 and rng.random() < 0.85:  # the rest give a bare count, as older clients do
                self._family(b, app_index, applicant, q["family_size"] - 1, _almaty_date(times[1]))
            last = times[1]
        checks: list[tuple[str, bool]] = []
        if stages >= 3:
            requested_at = times[2]
            for type_id, code, mandatory, agency in ctx.check_types:
                done = complete or rng.random() < 0.6
                if done:
                    status = self._check_status(code, mandatory, q)
                    completed_at = self._moment(requested_at, times[3])
                else:
                    status, completed_at = "REQUESTED", None
                b.add("check_result", {
                    "application_id": app_index, "check_type_id": type_id, "status": status,
                    "details": rng.choice(_CHECK_NOTES) if status in ("FLAGGED", "REJECTED") else None,
                    "requested_at": requested_at, "completed_at": completed_at,
                    "updated_at": completed_at or requested_at,
                    "recorded_by": f"agency:{agency}" if completed_at and rng.random() < 0.8
                    else (OFFICER if completed_at else None),
                })
                checks.append((status, mandatory))
                last = max(last, completed_at or requested_at)
        interview = None
        if stages >= 4:
            scheduled_at = times[4]
            if complete or rng.random() < 0.5:
                outcome = _OUTCOME(rng)
                points = _ri(rng, 5, 10) if outcome == "PASSED" else (_ri(rng, 0, 4) if outcome == "FAILED" else None)
                recorded_at = self._moment(scheduled_at, times[5])
                last = max(last, recorded_at)
            else:  # scheduled; for an application still in progress perhaps still ahead
                outcome = points = recorded_at = None
                if open_ended:
                    scheduled_at = scheduled_at + dt.timedelta(days=_ri(rng, 0, 14))
            interview = {
                "application_id": app_index, "scheduled_at": scheduled_at, "outcome": outcome, "points": points,
                "notes": rng.choice(_INTERVIEW_NOTES[outcome]) if outcome else None, "recorded_at": recorded_at,
            }
            b.add("interview", interview)
        if not complete:
            return last
        assert test is not None and q is not None and interview is not None
        # The facts as services.facts.gather builds them on the scoring date (the same builder).
        on = _almaty_date(end)
        mrp = ctx.mrp.get(on.year)
        facts = build_facts(
            on=on, route=route, birth_date=birth, ethnic_kazakh=ethnic,
            labour_deficit=self.region_deficit.get(region, False),
            checks=len(checks), mandatory_not_cleared=sum(1 for s, m in checks if m and s != "CLEARED"),
            flagged=sum(1 for s, _ in checks if s == "FLAGGED"), test=test, questionnaire=q,
            occupation_in_deficit=(on.year, region, q["occupation_id"]) in ctx.deficit, mrp=mrp,
            interview_outcome=interview["outcome"], interview_points=interview["points"],
        )
        return facts

    def _rounds(self, b: _Batch, candidates: dict[tuple[int, dt.datetime], list[Any]]) -> dict[int, tuple[int, str]]:
        """Monthly selection rounds per region, in date order, ranked and capped as
        services.quotas.plan_round does; families that do not fit stay PASSED.
        Returns, per approved application, its round and the decision's reason."""
        apps = b.rows["application"]
        approvals: dict[int, tuple[int, str]] = {}
        codes = {r[0]: r[1] for r in self.ctx.regions}
        for (region, ran_at), entries in sorted(candidates.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            quota = self.ctx.kandas_quotas[region]
            if quota.left <= 0:
                continue
            ranked = sorted(entries, key=lambda e: (-e[1], e[2], e[0]))
            picks, passed_over = plan_round([Candidate(i, total, at, seats) for i, total, at, seats in ranked],
                                            quota.left)
            seats = sum(p.candidate.seats for p in picks)
            round_index = b.add("selection_round", {
                "quota_id": quota.id, "ran_at": ran_at, "ran_by": OFFICER,
                "cutoff_score": min((p.candidate.score for p in picks), default=None), "seats_taken": seats,
            })
            quota.taken += seats
            b.quota_seats[quota.id] += seats
            for p in picks:
                app = apps[p.candidate.application_id]
                b.statuses["PASSED"] -= 1
                b.statuses["APPROVED"] += 1
                self._decide(app, "APPROVED", ran_at, None)
                app["seats"] = p.candidate.seats
                app["quota_id"] = quota.id
                b.add("selection_round_approval", {
                    "round_id": round_index, "application_id": p.candidate.application_id, "rank": p.rank,
                    "score": p.candidate.score, "seats": p.candidate.seats,
                })
                approvals[p.candidate.application_id] = (round_index, (
                    f"Approved by the selection round of {_almaty_date(ran_at).isoformat()} on the {DEMO_YEAR} "
                    f"KANDAS quota of {codes[region]}: ranked {p.rank} with {p.candidate.score} points, "
                    f"{p.candidate.seats} seat(s) taken."))
            last = picks[-1].candidate if picks else None
            above = [c for c in passed_over if last is not None and (-c.score, c.submitted_at, c.application_id)
                     < (-last.score, last.submitted_at, last.application_id)]
            for position, c in enumerate(above, start=1):
                b.add("selection_round_passed_over", {
                    "round_id": round_index, "application_id": c.application_id, "position": position,
                    "score": c.score, "seats": c.seats,
                })
        return approvals

    def _contracts(self, b: _Batch) -> None:
        """Social contracts for most approved KANDAS families, with their support ledger."""
        rng = self.rng
        ctx = self.ctx
        for app_index, app in enumerate(b.rows["application"]):
            if app["route"] != "KANDAS" or app["status"] != "APPROVED" or rng.random() >= 0.92:
                continue
            decided_on = _almaty_date(app["decided_at"])
            start = decided_on + dt.timedelta(days=_ri(rng, 3, 40))
            if start > self.today:
                continue  # not signed yet
            signed_on = max(decided_on, start - dt.timedelta(days=_ri(rng, 0, 5)))
            created_at = min(max(_at(signed_on, _ri(rng, 9, 17), _ri(rng, 0, 59)), app["decided_at"]),
                             self.ceiling)
            family = app["seats"]
            end = add_years(start, CONTRACT_YEARS)
            contract = {
                "number": None, "application_id": app_index, "region_id": app["target_region_id"],
                "family_size": family, "start_date": start, "end_date": end, "status": "ACTIVE",
                "total_support": Decimal("0.00"), "created_at": created_at,
            }
            contract_index = b.add("social_contract", contract)
            terminated_on = None
            if (self.today - start).days >= 20 and rng.random() < 0.07:
                terminated_on = start + dt.timedelta(days=_ri(rng, 10, (self.today - start).days))
            limit = terminated_on - dt.timedelta(days=1) if terminated_on else self.today
            paid: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))

            def pay(code: str, share: float, on: dt.date, *, monthly: bool = False) -> None:
                if code not in ctx.measures or not (start <= on < end) or on > limit or on.year not in ctx.mrp:
                    return
                measure_id, cap_mrp, per_member = ctx.measures[code]
                mrp = ctx.mrp[on.year]
                cap = (cap_mrp * mrp * (family if per_member else 1)).quantize(CENT, rounding=ROUND_DOWN)
                base = (Decimal(30) * mrp) if monthly else cap  # rent: 30 MRP a month
                amount = (base * Decimal(str(share))).quantize(Decimal("1"), rounding=ROUND_DOWN)
                amount = min(amount, cap - paid[code]).quantize(CENT)
                if amount <= 0:
                    return
                paid[code] += amount
                b.add("support_payment", {
                    "contract_id": contract_index, "measure_id": measure_id, "amount": amount, "paid_on": on,
                    "recorded_at": min(_at(on, _ri(rng, 9, 17), _ri(rng, 0, 59)), self.ceiling),
                    "recorded_by": OFFICER,
                })

            pay("RELOCATION", 1.0 if rng.random() < 0.7 else rng.uniform(0.5, 1.0),
                start + dt.timedelta(days=_ri(rng, 5, 30)))
            if rng.random() < 0.85:
                rent_share = 1.0 if rng.random() < 0.6 else rng.uniform(0.6, 1.0)
                for month in range(12):
                    pay("HOUSING_RENT", rent_share, _add_months(start, month) + dt.timedelta(days=5), monthly=True)
            if rng.random() < 0.2:
                pay("HOUSING_CERTIFICATE", rng.uniform(0.6, 1.0), start + dt.timedelta(days=_ri(rng, 60, 300)))
            contract["total_support"] = sum(paid.values(), Decimal("0.00"))

            if terminated_on is not None:
                reason = _TERMINATION(rng)
                refundable = ctx.refundable.get(reason, True)  # no rule: refundable, as the service decides
                due = contract["total_support"] if refundable else Decimal("0.00")
                refunds: list[tuple[Decimal, dt.date]] = []
                if due > 0 and rng.random() < 0.45 and terminated_on < self.today:
                    left = due
                    for _ in range(_ri(rng, 1, 2)):
                        amount = (left * Decimal(str(rng.uniform(0.2, 0.6)))).quantize(CENT, rounding=ROUND_DOWN)
                        if amount <= 0:
                            break
                        on = terminated_on + dt.timedelta(days=_ri(rng, 1, max(1, (self.today - terminated_on).days)))
                        refunds.append((amount, min(on, self.today)))
                        left -= amount
                contract["status"] = "TERMINATED"
                b.add("contract_termination", {
                    "contract_id": contract_index, "reason": reason, "effective_date": terminated_on,
                    "refund_due": due, "refund_paid": sum((a for a, _ in refunds), Decimal("0.00")),
                    "recorded_at": min(_at(terminated_on, 12), self.ceiling), "recorded_by": OFFICER,
                })
                for amount, on in refunds:
                    b.add("refund_payment", {
                        "contract_id": contract_index, "amount": amount, "paid_on": on,
                        "recorded_at": min(_at(on, 15), self.ceiling), "recorded_by": OFFICER,
                    })


# --------------------------------------------------------------------------
# writing


async def _reserve_ids(conn: AsyncConnection, dialect: str, table: str, n: int, sequences: dict[str, str]) -> list[int]:
    """``n`` fresh primary keys for ``table``."""
    if dialect == "postgresql":
        if table not in sequences:
            sequences[table] = (await conn.execute(
                text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table})).scalar_one()
        rows = await conn.execute(text("SELECT nextval(CAST(:s AS regclass)) FROM generate_series(1, :n)"),
                                  {"s": sequences[table], "n": n})
        return sorted(int(v) for v in rows.scalars())
    # SQLite: the batch holds the write lock (BEGIN IMMEDIATE), so max(id) is ours to extend.
    top = (await conn.execute(text(f'SELECT coalesce(max(id), 0) FROM "{table}"'))).scalar_one()  # noqa: S608
    return list(range(int(top) + 1, int(top) + 1 + n))


async def _reserve_numbers(conn: AsyncConnection, dialect: str, name: str, floor: int, n: int) -> int:
    """Advance the counter ``name`` by ``n`` (from at least ``floor``); the first number reserved."""
    values = {"name": name, "value": 0}
    stmt = (pg_insert(NumberSequence) if dialect == "postgresql"
            else sqlite_insert(NumberSequence)).values(**values).on_conflict_do_nothing()
    await conn.execute(stmt)
    current = NumberSequence.__table__.c.value  # type: ignore[attr-defined]
    top = (await conn.execute(
        update(NumberSequence.__table__).where(NumberSequence.__table__.c.name == name)  # type: ignore[attr-defined]
        .values(value=case((current < floor, floor), else_=current) + n).returning(current)
    )).scalar_one()
    return int(top) - n + 1


async def _number(session: AsyncSession, ctx: _Context, b: _Batch) -> None:
    """Give the batch's applications and contracts their numbers, advancing the counters."""
    conn = await session.connection()
    for table, prefix in (("application", "RP"), ("social_contract", "SC")):
        rows = b.rows[table]
        by_year: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            moment = row["submitted_at"] if table == "application" else None
            year = _almaty_date(moment).year if moment is not None else row["start_date"].year
            by_year[year].append(row)
        for year, group in sorted(by_year.items()):
            name = f"{prefix}-{year}"
            first = await _reserve_numbers(conn, ctx.dialect, name, ctx.number_floor.get(name, 0), len(group))
            for k, row in enumerate(group):
                row["number"] = f"{name}-{first + k:06d}"
                if table == "application":
                    person = b.rows["applicant"][row["applicant_id"]]
                    row["search_key"] = search_key(number=row["number"], full_name=person["full_name"],
                                                   iin=row["iin"], document_number=row["document_number"])


async def _write(session: AsyncSession, ctx: _Context, b: _Batch, sequences: dict[str, str]) -> dict[str, int]:
    """Insert the batch (already numbered), parents first, and take its quota seats."""
    conn = await session.connection()
    dialect = ctx.dialect
    if dialect == "postgresql":
        # A bulk load: big COPYs and a wait for another writer's quota row are expected.
        await conn.execute(text("SET LOCAL statement_timeout = '10min'"))
        await conn.execute(text("SET LOCAL lock_timeout = '10min'"))
    # PostgreSQL: COPY on the session's own connection, inside its transaction
    # (several times faster than INSERT … VALUES for these volumes).
    raw = (await conn.get_raw_connection()).driver_connection if dialect == "postgresql" else None
    ids: dict[str, list[int]] = {}
    written: dict[str, int] = {}
    for table in TABLE_ORDER:
        rows = b.rows[table]
        if not rows:
            continue
        new_ids = await _reserve_ids(conn, dialect, table, len(rows), sequences)
        refs = [(column, ids.get(parent, [])) for column, parent in _REFS.get(table, {}).items()]
        for row, new_id in zip(rows, new_ids):
            row["id"] = new_id
            for column, parent_ids in refs:
                if row[column] is not None:  # a nullable reference (a decision without a round)
                    row[column] = parent_ids[row[column]]
        ids[table] = new_ids
        if raw is not None:
            columns = [c.name for c in _TABLES[table].columns]
            values = operator.itemgetter(*columns)
            await raw.copy_records_to_table(table, records=[values(row) for row in rows], columns=columns)
        else:
            await conn.execute(insert(_TABLES[table]), rows)
        written[table] = len(rows)
    now = utcnow()
    quota = Quota.__table__  # type: ignore[attr-defined]
    for quota_id, seats in sorted(b.quota_seats.items()):
        if not seats:
            continue
        result = await conn.execute(
            update(quota).where(quota.c.id == quota_id, quota.c.used + seats <= quota.c.capacity)
            .values(used=quota.c.used + seats, updated_at=now))
        if result.rowcount != 1:
            raise invalid_state(f"quota {quota_id} changed while demo data was being generated; run it again")
    return written


# --------------------------------------------------------------------------
# the entry point


async def generate(
    sessions: async_sessionmaker[AsyncSession],
    *,
    applications: int,
    seed: int = 1,
    batch_size: int = 5000,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Add ``applications`` synthetic applications (with applicants, stages,
    scores, decisions, quota seats, contracts and payments); returns the rows
    written per table. Each batch is one transaction."""
    if isinstance(applications, bool) or not isinstance(applications, int) or applications < 0:
        raise invalid("the number of applications must be a whole number, 0 or more", "applications")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= 100_000:
        raise invalid("the batch size must be from 1 to 100000", "batchSize")
    async with transaction(sessions) as session:
        ctx = await _load_context(session)
    if not ctx.regions or not ctx.check_types:
        raise invalid_state("the reference data is missing; run `qonys seed` first")
    if not ctx.models:
        raise invalid_state("no scoring model is published; run `qonys seed` first")
    generator = _Generator(ctx, seed, utcnow())
    counts: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    sequences: dict[str, str] = {}
    sizes = [min(batch_size, applications - start) for start in range(0, applications, batch_size)]
    done = 0
    if progress:
        progress(0, applications)
    # One producer generates the batches (in a thread, so that Python works while
    # the database does) and numbers them; on PostgreSQL two writers insert them
    # concurrently, each batch in its own transaction. SQLite has one writer, and
    # numbers each batch inside its write transaction.
    postgres = ctx.dialect == "postgresql"
    writers = min(WRITERS, len(sizes)) if postgres else 1
    queue: asyncio.Queue[_Batch | None] = asyncio.Queue(maxsize=writers)

    async def produce() -> None:
        for n in sizes:
            batch = await asyncio.to_thread(generator.batch, n)
            if postgres:
                async with transaction(sessions) as session:
                    await _number(session, ctx, batch)
            await queue.put(batch)
        for _ in range(writers):
            await queue.put(None)

    async def write() -> None:
        nonlocal done
        while (batch := await queue.get()) is not None:
            async with transaction(sessions) as session:
                if not postgres:
                    await _number(session, ctx, batch)
                written = await _write(session, ctx, batch, sequences)
            counts.update(written)
            statuses.update(batch.statuses)
            done += len(batch.rows["application"])
            if progress:
                progress(done, applications)

    try:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(produce())
            for _ in range(writers):
                tasks.create_task(write())
    except BaseExceptionGroup as group:  # the first failure, as a plain exception (e.g. a ServiceError)
        first = group.exceptions[0]
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    async with transaction(sessions) as session:
        await audit.record(session, SYSTEM, "demo_data.generate", "demo_data", None, {
            "applications": applications, "seed": seed, "batchSize": batch_size,
            "rows": dict(sorted(counts.items())), "statuses": dict(sorted((k, v) for k, v in statuses.items() if v)),
        })
    return {t: counts.get(t, 0) for t in TABLE_ORDER}
