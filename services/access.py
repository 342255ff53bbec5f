"""Who may see which rows, as one SQL row filter per readable type.

Every loader and list query applies these filters with the viewer's values as
parameters, so a rule is written once and holds for nested fields, ``node`` and
lists alike. A caller who may not see a row gets the same answer as for a row
that does not exist.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, bindparam, false, select, true

from models import Application, Check, SocialContract
from services.viewer import Viewer


def _subject(viewer: Viewer) -> ColumnElement[str]:
    # A named parameter: a compiled statement is reused for every viewer of the same kind.
    return bindparam("viewer_subject", viewer.subject)


def applications(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.is_staff or (viewer.role == "ADMIN_PANEL"):
        return true()
    if viewer.is_applicant and viewer.subject:
        return Application.owner_subject == _subject(viewer)
    if viewer.is_agency and viewer.readable_check_type_ids:
        # An agency reaches an application only through a check it may read.
        return Application.id.in_(
            select(Check.application_id).where(Check.check_type_id.in_(sorted(viewer.readable_check_type_ids)))
        )
    return false()


def checks(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.is_staff or (viewer.role == "ADMIN_PANEL"):
        return true()
    if viewer.is_agency:
        if not viewer.readable_check_type_ids:
            return false()
        return Check.check_type_id.in_(sorted(viewer.readable_check_type_ids))
    if viewer.is_applicant and viewer.subject:
        return Check.application_id.in_(select(Application.id).where(Application.owner_subject == _subject(viewer)))
    return false()


def contracts(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.is_staff or (viewer.role == "ADMIN_PANEL"):
        return true()
    if viewer.is_applicant and viewer.subject:
        return SocialContract.application_id.in_(
            select(Application.id).where(Application.owner_subject == _subject(viewer))
        )
    return false()


def sees_application_internals(viewer: Viewer) -> bool:
    """Scores, questionnaires, interviews, contracts: never for an agency key."""
    return not viewer.is_agency and not viewer.is_anonymous


def may_read_reference(viewer: Viewer) -> bool:
    """Quotas and scoring models: any signed-in person (not agencies, not anonymous)."""
    return viewer.role in ("APPLICANT", "OFFICER", "ADMIN", "ADMIN_PANEL", "SYSTEM")


def may_fetch_node(viewer: Viewer, type_name: str) -> bool:
    """Whether ``node(id:)`` may return a node of this type to the viewer at all; the
    row filters above then decide which rows (checks, applications, contracts)."""
    if type_name in ("ScoringModel", "Quota"):
        return may_read_reference(viewer)
    if type_name == "SelectionRound":
        return viewer.is_staff
    if type_name == "Applicant":
        return viewer.is_staff or viewer.is_applicant
    if type_name == "Application":
        # SPEC §7: agency keys do not read applications; they see one only as the
        # context of a check they may read (Check.application), as application(id:) does.
        return not viewer.is_agency
    return True  # regions, agencies, check types are public; the rest is row-filtered


def sees_applicant(viewer: Viewer, owner_subject: str | None) -> bool:
    """An applicant record: staff, or the person it belongs to."""
    return viewer.is_staff or owner_subject == viewer.subject
