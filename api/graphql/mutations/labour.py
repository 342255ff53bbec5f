"""Employers, work permits and violations (SPEC §15): register an employer, replace its
local headcount, request and decide work permits (staff only), record violations
(staff, and the partner agency granted it)."""

from __future__ import annotations

import strawberry

from api.graphql.inputs_labour import (
    DecideWorkPermitInput,
    EmployerPayload,
    RecordViolationInput,
    RegisterEmployerInput,
    RequestWorkPermitInput,
    UpdateEmployerStaffInput,
    ViolationPayload,
    WorkPermitPayload,
)
from api.graphql.mutations.base import Payload, list_of, optional_id
from services.labour import employers, permits, violations

_employer = Payload.of(EmployerPayload).mutation
_permit = Payload.of(WorkPermitPayload).mutation
_violation = Payload.of(ViolationPayload).mutation
EMPLOYER = {"employer_id": "Employer"}
STAFF = employers.require_staff
STAFF_COUNTS = {"local_staff": list_of(employers.StaffCount)}


@strawberry.type
class LabourMutations:
    register_employer = _employer(RegisterEmployerInput, employers.register_employer, guard=STAFF,
                                  convert=STAFF_COUNTS)
    update_employer_staff = _employer(UpdateEmployerStaffInput, employers.update_employer_staff, ids=EMPLOYER,
                                      guard=STAFF, convert=STAFF_COUNTS)
    request_work_permit = _permit(RequestWorkPermitInput, permits.request_work_permit, ids=EMPLOYER, guard=STAFF)
    decide_work_permit = _permit(DecideWorkPermitInput, permits.decide_work_permit,
                                 ids={"permit_id": "WorkPermit"}, guard=STAFF)
    record_violation = _violation(RecordViolationInput, violations.record_violation, convert={
        "employer_id": optional_id("Employer", "input", "employerId"),
        "application_id": optional_id("Application", "input", "applicationId")})
