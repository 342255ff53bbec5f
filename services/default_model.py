"""The default scoring model of SPEC §3 and its versions.

Until the ministry publishes its tables, the seed installs this model;
administrators replace it by publishing a new version. Pass mark 400 of 690.

Versions, oldest first (``DEFAULT_MODEL_VERSIONS``; the seed brings a database
up to the last one, publishing each version it lacks through the normal path):

- ``2026.1``, effective 2026-01-01: SPEC §3's table. Its solvency gate held
  every GENERAL applicant to 1,320 MRP, ethnic Kazakhs included, though the
  policy exempts them (SPEC §1).
- ``2026.2``, effective 2026-01-02: the same, with the solvency gate
  ``unless applicant.ethnicKazakh equals true``. Why that date: the exemption
  has been the policy since January 2026, so the correction must govern every
  score computed from now on, whatever date in 2026 it is computed for
  (re-scoring, what-if, scoring dated in the past); 2026-01-01 itself is taken
  (publishing refuses a second published model with the same ``effectiveFrom``,
  and a published model is never edited), so the next day is the earliest
  possible. 2026.1 stays in force only for scores dated 1 January 2026, a
  public holiday; scores stored under it keep their version and breakdown
  until they are re-scored.
- ``2026.3``, effective 2026-01-03: the same, with the gate
  ``record.falseDocuments equals false`` (SPEC §15: responsibility for breaking
  migration law; an applicant with a FALSE_DOCUMENTS violation on record does
  not pass). The next free day, for the same reason as 2026.2's; the seed
  publishes it and the publish re-scores the scored, undecided applications.
- ``2026.4``, effective 2026-01-04: the previous definition with its legal
  sources (SPEC §17, ``basis`` in kk/ru/en): the pilot order of 30 January 2026
  for the 400-point pass mark (``passMarkBasis``) and the language gates, and
  the general-grounds solvency rule for the solvency gate. Built as
  ``with_basis(<the previous default definition>)``. Version 2026.3 and the date
  2026-01-03 are left to the false-documents gate, which comes before it; every
  2026 score from 4 January on is under this version, so its scores explain
  themselves.
"""

from __future__ import annotations

import copy
import datetime
from typing import Any

__all__ = [
    "DEFAULT_MODEL_DEFINITION",
    "DEFAULT_MODEL_EFFECTIVE_FROM",
    "DEFAULT_MODEL_VERSION",
    "DEFAULT_MODEL_VERSIONS",
    "FIRST_MODEL_DEFINITION",
    "FIRST_MODEL_EFFECTIVE_FROM",
    "FIRST_MODEL_VERSION",
    "LAW_ABIDING_MODEL_VERSION",
    "SOLVENCY_EXEMPT_MODEL_VERSION",
    "default_model_definition",
    "with_basis",
]

FIRST_MODEL_VERSION = "2026.1"
FIRST_MODEL_EFFECTIVE_FROM = datetime.date(2026, 1, 1)

def _bands(*bands: tuple[int, int | None, int]) -> list[dict[str, int | None]]:
    """``{"min", "max", "points"}`` bands, written here as (min, max, points)."""
    return [{"min": low, "max": high, "points": points} for low, high, points in bands]


FIRST_MODEL_DEFINITION: dict[str, Any] = {
    "passMark": 400,
    "gates": [
        {"code": "language", "source": "language.level", "min": "A1"},
        {"code": "language_blocks", "source": "language.minBlockPercent", "min": 30},
        {"code": "checks", "source": "checks.mandatoryCleared", "equals": True},
        {"code": "interview", "source": "interview.outcome", "equals": "PASSED"},
        {"code": "adult", "source": "applicant.age", "min": 18},
        {"code": "not_deported", "source": "questionnaire.deportedBefore", "equals": False},
        {"code": "solvency", "source": "questionnaire.savingsMrp", "min": 1320, "routes": ["GENERAL"]},
    ],
    "criteria": [
        {"code": "kazakh", "source": "language.level", "points": {"A1": 50, "A2": 80, "B1": 110, "B2": 130, "C1": 150}},
        {"code": "age", "source": "applicant.age",
         "bands": _bands((18, 29, 100), (30, 39, 80), (40, 49, 50), (50, 59, 20), (60, None, 0))},
        {"code": "education", "source": "questionnaire.educationLevel", "points": {
            "NONE": 0, "SECONDARY": 30, "VOCATIONAL": 60, "BACHELOR": 100, "MASTER": 120, "DOCTORATE": 140}},
        {"code": "experience", "source": "questionnaire.workExperienceYears",
         "bands": _bands((0, 0, 0), (1, 2, 30), (3, 5, 60), (6, 9, 80), (10, None, 100))},
        {"code": "russian", "source": "questionnaire.russian", "points": {"NONE": 0, "BASIC": 20, "FLUENT": 40}},
        {"code": "english", "source": "questionnaire.english", "points": {"NONE": 0, "BASIC": 20, "FLUENT": 40}},
        {"code": "deficit_occupation", "source": "questionnaire.occupationInDeficit",
         "points": {"true": 60, "false": 0}},
        {"code": "relatives", "source": "questionnaire.relativesInKazakhstan", "points": {"true": 30, "false": 0}},
        {"code": "prior_stay", "source": "questionnaire.priorStayInKazakhstan", "points": {"true": 30, "false": 0}},
    ],
}


# 2026.2: ethnic Kazakhs are exempt from the solvency requirement (SPEC §1).
SOLVENCY_EXEMPT_MODEL_VERSION = "2026.2"
SOLVENCY_EXEMPT_MODEL_EFFECTIVE_FROM = datetime.date(2026, 1, 2)
SOLVENCY_EXEMPT_MODEL_DEFINITION: dict[str, Any] = copy.deepcopy(FIRST_MODEL_DEFINITION)
for _gate in SOLVENCY_EXEMPT_MODEL_DEFINITION["gates"]:
    if _gate["code"] == "solvency":
        _gate["unless"] = {"source": "applicant.ethnicKazakh", "equals": True}
del _gate

# 2026.3: no false documents on record (SPEC §15), after the other applicant gates.
LAW_ABIDING_MODEL_VERSION = "2026.3"
LAW_ABIDING_MODEL_EFFECTIVE_FROM = datetime.date(2026, 1, 3)
LAW_ABIDING_GATE: dict[str, Any] = {"code": "no_false_documents", "source": "record.falseDocuments", "equals": False}
LAW_ABIDING_MODEL_DEFINITION: dict[str, Any] = copy.deepcopy(SOLVENCY_EXEMPT_MODEL_DEFINITION)
_at = [g["code"] for g in LAW_ABIDING_MODEL_DEFINITION["gates"]].index("not_deported") + 1
LAW_ABIDING_MODEL_DEFINITION["gates"].insert(_at, copy.deepcopy(LAW_ABIDING_GATE))
del _at


# The legal sources the default model cites (SPEC §1, §17), in Kazakh, Russian and English.
PILOT_ORDER_PASS_MARK = {
    "kk": "2026 жылғы 30 қаңтардағы бірлескен бұйрық (алдын ала іріктеудің пилоттық жобасы): сауалнама "
          "400 балл жинағанда өтеді.",
    "ru": "Совместный приказ от 30 января 2026 года (пилотный проект предварительного отбора): анкета "
          "считается пройденной при 400 баллах.",
    "en": "Joint order of 30 January 2026 (the preliminary selection pilot): the questionnaire passes at "
          "400 points.",
}
PILOT_ORDER_LANGUAGE = {
    "kk": "2026 жылғы 30 қаңтардағы бірлескен бұйрық (алдын ала іріктеудің пилоттық жобасы): мемлекеттік "
          "тілден ҚАЗТЕСТ, кемінде A1 деңгейі.",
    "ru": "Совместный приказ от 30 января 2026 года (пилотный проект предварительного отбора): КАЗТЕСТ по "
          "государственному языку, уровень не ниже A1.",
    "en": "Joint order of 30 January 2026 (the preliminary selection pilot): the KAZTEST state-language test "
          "at level A1 or above.",
}
PILOT_ORDER_LANGUAGE_BLOCKS = {
    "kk": "2026 жылғы 30 қаңтардағы бірлескен бұйрық (алдын ала іріктеудің пилоттық жобасы): ҚАЗТЕСТ-тің "
          "әр блогында (тыңдалым, оқылым) кемінде 30%.",
    "ru": "Совместный приказ от 30 января 2026 года (пилотный проект предварительного отбора): не менее 30% "
          "в каждом блоке КАЗТЕСТ (аудирование, чтение).",
    "en": "Joint order of 30 January 2026 (the preliminary selection pilot): at least 30% in each KAZTEST "
          "block (listening, reading).",
}
GENERAL_GROUNDS_SOLVENCY = {
    "kk": "Жалпы негіздер бойынша тұрақты тұруға рұқсат: төлем қабілеттілігін растау, кемінде 1 320 АЕК "
          "жинақ; этникалық қазақтар босатылады.",
    "ru": "Вид на жительство на общих основаниях: подтверждение платёжеспособности, сбережения не менее "
          "1 320 МРП; этнические казахи освобождены.",
    "en": "Permanent residence on general grounds: proof of solvency, savings of at least 1,320 MRP; ethnic "
          "Kazakhs are exempt.",
}
_GATE_BASES = {"language": PILOT_ORDER_LANGUAGE, "language_blocks": PILOT_ORDER_LANGUAGE_BLOCKS,
               "solvency": GENERAL_GROUNDS_SOLVENCY}


def with_basis(definition: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``definition`` citing its legal sources: the pilot order for the pass
    mark and the language gates, the general-grounds rule for the solvency gate."""
    cited = copy.deepcopy(definition)
    cited["passMarkBasis"] = dict(PILOT_ORDER_PASS_MARK)
    for gate in cited["gates"]:
        if gate["code"] in _GATE_BASES:
            gate["basis"] = dict(_GATE_BASES[gate["code"]])
    return cited


# 2026.4: 2026.3 with its legal sources (SPEC §17).
DEFAULT_MODEL_VERSION = "2026.4"
DEFAULT_MODEL_EFFECTIVE_FROM = datetime.date(2026, 1, 4)
DEFAULT_MODEL_DEFINITION: dict[str, Any] = with_basis(LAW_ABIDING_MODEL_DEFINITION)

# (version, effectiveFrom, definition), oldest first; the last is the default model.
DEFAULT_MODEL_VERSIONS: tuple[tuple[str, datetime.date, dict[str, Any]], ...] = (
    (FIRST_MODEL_VERSION, FIRST_MODEL_EFFECTIVE_FROM, FIRST_MODEL_DEFINITION),
    (SOLVENCY_EXEMPT_MODEL_VERSION, SOLVENCY_EXEMPT_MODEL_EFFECTIVE_FROM, SOLVENCY_EXEMPT_MODEL_DEFINITION),
    (LAW_ABIDING_MODEL_VERSION, LAW_ABIDING_MODEL_EFFECTIVE_FROM, LAW_ABIDING_MODEL_DEFINITION),
    (DEFAULT_MODEL_VERSION, DEFAULT_MODEL_EFFECTIVE_FROM, DEFAULT_MODEL_DEFINITION),
)


def default_model_definition() -> dict[str, Any]:
    """A fresh deep copy of the default (latest) definition (safe to modify or store)."""
    return copy.deepcopy(DEFAULT_MODEL_DEFINITION)
