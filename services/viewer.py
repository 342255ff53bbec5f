"""Who is asking: the subject and role every service call is made for."""

from __future__ import annotations

from dataclasses import dataclass, field

from models.enums import Role

# The roles a viewer has: those a JWT carries (``models.enums.Role``: APPLICANT,
# OFFICER, ADMIN) and these, which the services give.
ANONYMOUS_ROLE = "ANONYMOUS"
AGENCY_ROLE = "AGENCY"
SYSTEM_ROLE = "SYSTEM"
ADMIN_PANEL_ROLE = "ADMIN_PANEL"


@dataclass(frozen=True)
class Viewer:
    subject: str | None
    role: str  # APPLICANT | OFFICER | ADMIN | AGENCY | ADMIN_PANEL | SYSTEM | ANONYMOUS
    agency_id: int | None = None
    agency_code: str | None = None
    # Check types an agency owns (may record) and may read (owned or granted).
    owned_check_type_ids: frozenset[int] = field(default_factory=frozenset)
    readable_check_type_ids: frozenset[int] = field(default_factory=frozenset)
    # What an agency may do beyond its check types (``AgencyGrantKind`` values, e.g. RESIDENCE).
    grants: frozenset[str] = field(default_factory=frozenset)
    # An admin-panel account with the auditor role reads only.
    read_only: bool = False

    @property
    def principal(self) -> str | None:
        """Who is asking, as one key (role and subject; an agency's keys share one):
        None for a caller without a subject."""
        return None if self.subject is None else f"{self.role}:{self.subject}"

    @property
    def is_anonymous(self) -> bool:
        return self.role == ANONYMOUS_ROLE

    @property
    def is_staff(self) -> bool:
        """Officers, administrators, the admin panel's administrators and system jobs."""
        return self.role in (Role.OFFICER.value, Role.ADMIN.value, SYSTEM_ROLE) or (
            self.role == ADMIN_PANEL_ROLE and not self.read_only)

    @property
    def is_admin(self) -> bool:
        return self.role in (Role.ADMIN.value, SYSTEM_ROLE) or (self.role == ADMIN_PANEL_ROLE and not self.read_only)

    @property
    def is_applicant(self) -> bool:
        return self.role == Role.APPLICANT.value

    @property
    def is_agency(self) -> bool:
        return self.role == AGENCY_ROLE

    def may(self, grant: str) -> bool:
        """Whether this agency holds ``grant`` (an ``AgencyGrantKind`` value)."""
        return self.is_agency and grant in self.grants

    @property
    def audit_subject(self) -> str:
        return self.subject or self.role.lower()


ANONYMOUS = Viewer(subject=None, role=ANONYMOUS_ROLE)
SYSTEM = Viewer(subject="system", role=SYSTEM_ROLE)
