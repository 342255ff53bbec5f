"""The application pipeline over GraphQL: submit, the four stages, score, decide, withdraw.

Each mutation runs its service in one transaction with the input's fields as
its arguments (``Payload.mutation``); IDs are decoded inside it, so a bad ID is
a NOT_FOUND user error on its input field. The payload is read after the
commit through the request's loaders, which apply the viewer's row filters."""

from __future__ import annotations

import strawberry

from api.graphql.inputs import (
    ApplicationPayload,
    CheckPayload,
    DecideApplicationInput,
    RecordCheckResultInput,
    RecordInterviewOutcomeInput,
    RecordLanguageTestInput,
    RequestChecksInput,
    ScheduleInterviewInput,
    ScoreApplicationInput,
    SubmitApplicationInput,
    SubmitQuestionnaireInput,
    WithdrawApplicationInput,
)
from api.graphql.mutations.base import Payload, instance_of, list_of, optional_id
from services import applications as svc

_application = Payload.of(ApplicationPayload).mutation
_check = Payload.of(CheckPayload).mutation
APP = {"application_id": "Application"}


@strawberry.type
class ApplicationMutations:
    submit_application = _application(SubmitApplicationInput, svc.submit_application,
                                      convert={"applicant": instance_of(svc.ApplicantIn),
                                               "permit_id": optional_id("WorkPermit", "input", "permitId")})
    record_language_test = _application(RecordLanguageTestInput, svc.record_language_test, ids=APP)
    submit_questionnaire = _application(SubmitQuestionnaireInput, svc.submit_questionnaire, ids=APP,
                                        convert={"family_members": list_of(svc.FamilyMemberIn)})
    request_checks = _application(RequestChecksInput, svc.request_checks, ids=APP)
    record_check_result = _check(RecordCheckResultInput, svc.record_check_result, ids={"check_id": "Check"})
    schedule_interview = _application(ScheduleInterviewInput, svc.schedule_interview, ids=APP)
    record_interview_outcome = _application(RecordInterviewOutcomeInput, svc.record_interview_outcome, ids=APP)
    score_application = _application(ScoreApplicationInput, svc.score_application, ids=APP)
    decide_application = _application(DecideApplicationInput, svc.decide_application, ids=APP)
    withdraw_application = _application(WithdrawApplicationInput, svc.withdraw_application, ids=APP)
