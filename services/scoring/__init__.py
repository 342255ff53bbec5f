"""The scoring engine (SPEC §3): facts + a model definition -> a score.

Pure: no database, no clock, no I/O. The caller gathers the facts (the
scoring date is already folded into them, e.g. ``applicant.age``) and hands
over the definition of the model that applies.

- ``catalogue``: the facts a model may use, their kinds, members and labels;
- ``validation``: whether a definition is valid, and its pass mark reachable;
- ``evaluation``: ``evaluate`` and the memoised ``Evaluator`` (one loop);
- ``results``: ``ScoreResult`` with its ``GateResult``s and ``CriterionResult``s (each with its ``Basis``);
- ``improvements``: what would raise a score (SPEC §17), changing only facts a person can change.

Callers use the names below: ``from services import scoring; scoring.evaluate(...)``.
"""

from services.scoring.catalogue import CATEGORIES, FACT_LABELS, FACT_SOURCES, ORDINALS, ROUTES, fact_text
from services.scoring.evaluation import Evaluator, evaluate
from services.scoring.improvements import CHANGEABLE_FACTS, Improvement, improvements
from services.scoring.results import Basis, CriterionResult, DefinitionError, GateResult, ScoreResult, stored_score
from services.scoring.validation import criterion_max_points, max_total, pass_mark_problem, validate_definition

__all__ = [
    "CATEGORIES",
    "CHANGEABLE_FACTS",
    "Basis",
    "Improvement",
    "improvements",
    "FACT_LABELS",
    "FACT_SOURCES",
    "ORDINALS",
    "ROUTES",
    "CriterionResult",
    "DefinitionError",
    "Evaluator",
    "GateResult",
    "ScoreResult",
    "criterion_max_points",
    "evaluate",
    "fact_text",
    "max_total",
    "pass_mark_problem",
    "stored_score",
    "validate_definition",
]
