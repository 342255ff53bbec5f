"""The root fields of employers, work permits and violations (SPEC §15): filtered
keyset lists, newest first, through the one pager (``api.graphql.paging``)."""

from __future__ import annotations

from typing import Any

import strawberry

import models as m
from api.graphql import paging
from api.graphql.paging import PagePlan, PageQuery
from api.graphql.filters import id_argument, region_condition, take_region
from api.graphql.types.labour import (
    EmployerConnection,
    Employer,
    PermitCategory,
    PermitStatus,
    Violation,
    ViolationConnection,
    ViolationKind,
    WorkPermit,
    WorkPermitConnection,
)
from models.base import today_almaty
from services import access
from services.labour import rules as labour_rules
from services.viewer import Viewer


@strawberry.input
class EmployerFilter:
    region_code: str | None = None
    bin: str | None = strawberry.field(default=None, description="The employer with this BIN.")
    suspended: bool | None = strawberry.field(default=None, description="Only employers suspended today (or not).")


@strawberry.input
class WorkPermitFilter:
    status: PermitStatus | None = None
    category: PermitCategory | None = None
    region_code: str | None = None
    employer_id: strawberry.ID | None = None


@strawberry.input
class ViolationFilter:
    kind: ViolationKind | None = None
    employer_id: strawberry.ID | None = None
    application_id: strawberry.ID | None = None


def _employer_argument(value: strawberry.ID) -> int:
    return id_argument(value, "Employer", "filter", "employerId", problem="not an ID of a Employer")


def employer_page(viewer: Viewer, *, first: int | None, after: str | None, filter: EmployerFilter | None) -> PagePlan:
    p = PageQuery(first, access.employers(viewer))
    take_region(p, filter)
    if filter is not None and filter.bin is not None:
        p.set("f_bin", filter.bin.strip())
    suspended = p.wanted(filter, "suspended", f_today=today_almaty)

    def where() -> list[Any]:
        e = m.Employer
        return [*p.equal(f_bin=e.bin), *region_condition(p, e.region_id),
                *p.either(suspended, lambda: labour_rules.suspended_condition(
                    e.suspended_until, p("f_today", e.suspended_until)))]

    return p.plan("employers", m.Employer, kind="employer", key="created_at", ascending=False, after=after,
                  where=where, counted=True, shape=(suspended,))


def permit_page(viewer: Viewer, *, first: int | None, after: str | None, filter: WorkPermitFilter | None) -> PagePlan:
    p = PageQuery(first, access.work_permits(viewer))
    p.take(filter, status="f_permit_status", category="f_category")
    take_region(p, filter)
    if filter is not None and filter.employer_id is not None:
        p.set("f_employer", _employer_argument(filter.employer_id))

    def where() -> list[Any]:
        w = m.WorkPermit
        return [*p.equal(f_permit_status=w.status, f_category=w.category, f_employer=w.employer_id),
                *region_condition(p, w.region_id)]

    return p.plan("workPermits", m.WorkPermit, kind="permit", key="requested_at", ascending=False, after=after,
                  where=where, counted=True)


def violation_page(viewer: Viewer, *, first: int | None, after: str | None,
                   filter: ViolationFilter | None) -> PagePlan:
    p = PageQuery(first, access.violations(viewer))
    p.take(filter, kind="f_kind")
    if filter is not None:
        if filter.employer_id is not None:
            p.set("f_employer", _employer_argument(filter.employer_id))
        if filter.application_id is not None:
            p.set("f_application", id_argument(filter.application_id, "Application", "filter", "applicationId",
                                               problem="not an ID of a Application"))

    def where() -> list[Any]:
        v = m.Violation
        return p.equal(f_kind=v.kind, f_employer=v.employer_id, f_application=v.application_id)

    return p.plan("violations", m.Violation, kind="violation", key="recorded_at", ascending=False, after=after,
                  where=where, counted=True)


@strawberry.type
class LabourQuery:
    employers = paging.list_root(employer_page, EmployerFilter, EmployerConnection, Employer,
                                 description="Employers, newest registration first (staff only).")
    work_permits = paging.list_root(permit_page, WorkPermitFilter, WorkPermitConnection, WorkPermit,
                                    description="Work permits, newest request first (staff only).")
    violations = paging.list_root(violation_page, ViolationFilter, ViolationConnection, Violation, description=(
        "Violations, newest record first: staff read all, the migration service the ones it recorded."))


__all__ = ["LabourQuery", "employer_page", "permit_page", "violation_page"]
