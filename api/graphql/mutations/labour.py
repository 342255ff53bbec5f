"""Employers, work permits and violations (SPEC §15): register an employer, replace its
local headcount, request and decide work permits (staff only), record violations
(staff, and the partner agency granted it)."""

from __future__ import annotations

import strawberry

from api.graphql import inputs_labour as inputs
from api.graphql.mutations.base import Payload, list_of, optional_id
from services.labour import employers, permits, violations

_employer = Payload.of(inputs.EmployerPayload).mutation
_permit = Payload.of(inputs.WorkPermitPayload).mutation
_violation = Payload.of(inputs.ViolationPayload).mutation
EMPLOYER = {"employer_id": "Employer"}
STAFF = employers.require_staff
STAFF_COUNTS = {"local_staff": list_of(employers.StaffCount)}


@strawberry.type
class LabourMutations:
    register_employer = _employer(inputs.RegisterEmployerInput, employers.register_employer, guard=STAFF,
                                  convert=STAFF_COUNTS)
    update_employer_staff = _employer(inputs.UpdateEmployerStaffInput, employers.update_employer_staff, ids=EMPLOYER,
                                      guard=STAFF, convert=STAFF_COUNTS)
    request_work_permit = _permit(inputs.RequestWorkPermitInput, permits.request_work_permit, ids=EMPLOYER, guard=STAFF)
    decide_work_permit = _permit(inputs.DecideWorkPermitInput, permits.decide_work_permit,
                                 ids={"permit_id": "WorkPermit"}, guard=STAFF)
    record_violation = _violation(inputs.RecordViolationInput, violations.record_violation, convert={
        "employer_id": optional_id("Employer", "input", "employerId"),
        "application_id": optional_id("Application", "input", "applicationId")})
