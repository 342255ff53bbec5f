"""The root fields of employers, work permits and violations (SPEC §15): filtered
keyset lists, newest first, through the one pager (``api.graphql.paging``)."""

from __future__ import annotations

from typing import Any

import strawberry

import models as m
from api.graphql import ids, paging
from api.graphql.context import Info
from api.graphql.paging import PagePlan, PageQuery
from api.graphql.queries import in_region, invalid_argument, region_code_argument
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
from models import enums
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


def _pk(value: strawberry.ID, type_name: str, *field: str) -> int:
    pk = ids.decode_as(str(value), type_name)
    if pk is None:
        raise invalid_argument(f"not an ID of a {type_name}", *field)
    return pk


def employer_page(viewer: Viewer, *, first: int | None, after: str | None, filter: EmployerFilter | None) -> PagePlan:
    p = PageQuery(first, access.employers(viewer))
    suspended: bool | None = None
    if filter is not None:
        if filter.region_code is not None:
            p.set("f_region", region_code_argument(filter.region_code, "filter", "regionCode"))
        if filter.bin is not None:
            p.set("f_bin", filter.bin.strip())
        if filter.suspended is not None:
            suspended = filter.suspended
            p.set("f_today", today_almaty())

    def where() -> list[Any]:
        e = m.Employer
        conditions = p.equal(f_bin=e.bin)
        if "f_region" in p:
            conditions.append(in_region(p, e.region_id))
        if suspended is not None:
            in_force = labour_rules.suspended_condition(e.suspended_until, p("f_today", e.suspended_until))
            conditions.append(in_force if suspended else ~in_force)
        return conditions

    return p.plan("employers", m.Employer, kind="employer", key="created_at", ascending=False, after=after,
                  where=where, counted=True, shape=(suspended,))


def permit_page(viewer: Viewer, *, first: int | None, after: str | None, filter: WorkPermitFilter | None) -> PagePlan:
    p = PageQuery(first, access.work_permits(viewer))
    if filter is not None:
        if filter.status is not None:
            p.set("f_permit_status", enums.PermitStatus(filter.status).value)
        if filter.category is not None:
            p.set("f_category", enums.PermitCategory(filter.category).value)
        if filter.region_code is not None:
            p.set("f_region", region_code_argument(filter.region_code, "filter", "regionCode"))
        if filter.employer_id is not None:
            p.set("f_employer", _pk(filter.employer_id, "Employer", "filter", "employerId"))

    def where() -> list[Any]:
        w = m.WorkPermit
        conditions = p.equal(f_permit_status=w.status, f_category=w.category, f_employer=w.employer_id)
        if "f_region" in p:
            conditions.append(in_region(p, w.region_id))
        return conditions

    return p.plan("workPermits", m.WorkPermit, kind="permit", key="requested_at", ascending=False, after=after,
                  where=where, counted=True)


def violation_page(viewer: Viewer, *, first: int | None, after: str | None,
                   filter: ViolationFilter | None) -> PagePlan:
    p = PageQuery(first, access.violations(viewer))
    if filter is not None:
        if filter.kind is not None:
            p.set("f_kind", enums.ViolationKind(filter.kind).value)
        if filter.employer_id is not None:
            p.set("f_employer", _pk(filter.employer_id, "Employer", "filter", "employerId"))
        if filter.application_id is not None:
            p.set("f_application", _pk(filter.application_id, "Application", "filter", "applicationId"))

    def where() -> list[Any]:
        v = m.Violation
        return p.equal(f_kind=v.kind, f_employer=v.employer_id, f_application=v.application_id)

    return p.plan("violations", m.Violation, kind="violation", key="recorded_at", ascending=False, after=after,
                  where=where, counted=True)


@strawberry.type
class LabourQuery:
    @strawberry.field(description="Employers, newest registration first (staff only).")
    async def employers(self, info: Info, first: int | None = None, after: str | None = None,
                        filter: EmployerFilter | None = None) -> EmployerConnection:
        plan = employer_page(info.context.viewer, first=first, after=after, filter=filter)
        return await paging.connection(info, plan, EmployerConnection, Employer)

    @strawberry.field(description="Work permits, newest request first (staff only).")
    async def work_permits(self, info: Info, first: int | None = None, after: str | None = None,
                           filter: WorkPermitFilter | None = None) -> WorkPermitConnection:
        plan = permit_page(info.context.viewer, first=first, after=after, filter=filter)
        return await paging.connection(info, plan, WorkPermitConnection, WorkPermit)

    @strawberry.field(description="Violations, newest record first: staff read all, the migration service the "
                                  "ones it recorded.")
    async def violations(self, info: Info, first: int | None = None, after: str | None = None,
                         filter: ViolationFilter | None = None) -> ViolationConnection:
        plan = violation_page(info.context.viewer, first=first, after=after, filter=filter)
        return await paging.connection(info, plan, ViolationConnection, Violation)


__all__ = ["LabourQuery", "employer_page", "permit_page", "violation_page"]
