"""The application pipeline over GraphQL: submit, the four stages, score, decide, withdraw.

Each mutation runs its service in one transaction (``run``); IDs are decoded
inside it, so a bad ID is a NOT_FOUND user error on its input field. The
payload is read after the commit through the request's loaders, which apply
the viewer's row filters."""

from __future__ import annotations

import strawberry

import models as m
from api.graphql.context import Info
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
from api.graphql.mutations.base import decode_id, payload_of
from api.graphql.types import Application, Check
from services import applications as svc

APP_FIELD = ("input", "applicationId")


_application_payload = payload_of(m.Application, Application.from_row, ApplicationPayload, "application")
_check_payload = payload_of(m.Check, Check.from_row, CheckPayload, "check")


def _app_id(value: strawberry.ID) -> int:
    return decode_id(value, "Application", *APP_FIELD)


@strawberry.type
class ApplicationMutations:
    @strawberry.mutation
    async def submit_application(self, info: Info, input: SubmitApplicationInput) -> ApplicationPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            a = input.applicant
            app = await svc.submit_application(
                session, info.context.viewer,
                applicant=svc.ApplicantIn(full_name=a.full_name, birth_date=a.birth_date, sex=a.sex,
                                          citizenship=a.citizenship, ethnic_kazakh=a.ethnic_kazakh,
                                          document_number=a.document_number, iin=a.iin),
                route=input.route, target_region_code=input.target_region_code,
                occupation_code=input.occupation_code)
            return app.id

        return await _application_payload(info, action)

    @strawberry.mutation
    async def record_language_test(self, info: Info, input: RecordLanguageTestInput) -> ApplicationPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            app = await svc.record_language_test(
                session, info.context.viewer, application_id=_app_id(input.application_id), level=input.level,
                listening_percent=input.listening_percent, reading_percent=input.reading_percent,
                certificate_number=input.certificate_number, taken_on=input.taken_on)
            return app.id

        return await _application_payload(info, action)

    @strawberry.mutation
    async def submit_questionnaire(self, info: Info, input: SubmitQuestionnaireInput) -> ApplicationPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            app = await svc.submit_questionnaire(
                session, info.context.viewer, application_id=_app_id(input.application_id),
                education_level=input.education_level, work_experience_years=input.work_experience_years,
                occupation_code=input.occupation_code, family_size=input.family_size, russian=input.russian,
                english=input.english, relatives_in_kazakhstan=input.relatives_in_kazakhstan,
                prior_stay_in_kazakhstan=input.prior_stay_in_kazakhstan, criminal_record=input.criminal_record,
                deported_before=input.deported_before, savings=input.savings,
                family_members=None if input.family_members is None else [
                    svc.FamilyMemberIn(full_name=fm.full_name, birth_date=fm.birth_date, sex=fm.sex,
                                       relation=fm.relation, document_number=fm.document_number, iin=fm.iin)
                    for fm in input.family_members])
            return app.id

        return await _application_payload(info, action)

    @strawberry.mutation
    async def request_checks(self, info: Info, input: RequestChecksInput) -> ApplicationPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            app = await svc.request_checks(session, info.context.viewer, application_id=_app_id(input.application_id))
            return app.id

        return await _application_payload(info, action)

    @strawberry.mutation
    async def record_check_result(self, info: Info, input: RecordCheckResultInput) -> CheckPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            check = await svc.record_check_result(
                session, info.context.viewer, check_id=decode_id(input.check_id, "Check", "input", "checkId"),
                status=input.status, details=input.details)
            return check.id

        return await _check_payload(info, action)

    @strawberry.mutation
    async def schedule_interview(self, info: Info, input: ScheduleInterviewInput) -> ApplicationPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            app = await svc.schedule_interview(session, info.context.viewer,
                                               application_id=_app_id(input.application_id),
                                               scheduled_at=input.scheduled_at)
            return app.id

        return await _application_payload(info, action)

    @strawberry.mutation
    async def record_interview_outcome(self, info: Info, input: RecordInterviewOutcomeInput) -> ApplicationPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            app = await svc.record_interview_outcome(
                session, info.context.viewer, application_id=_app_id(input.application_id), outcome=input.outcome,
                points=input.points, notes=input.notes)
            return app.id

        return await _application_payload(info, action)

    @strawberry.mutation
    async def score_application(self, info: Info, input: ScoreApplicationInput) -> ApplicationPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            app = await svc.score_application(session, info.context.viewer,
                                              application_id=_app_id(input.application_id))
            return app.id

        return await _application_payload(info, action)

    @strawberry.mutation
    async def decide_application(self, info: Info, input: DecideApplicationInput) -> ApplicationPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            app = await svc.decide_application(session, info.context.viewer,
                                               application_id=_app_id(input.application_id),
                                               decision=input.decision, reason=input.reason)
            return app.id

        return await _application_payload(info, action)

    @strawberry.mutation
    async def withdraw_application(self, info: Info, input: WithdrawApplicationInput) -> ApplicationPayload:
        async def action(session):  # type: ignore[no-untyped-def]
            app = await svc.withdraw_application(session, info.context.viewer,
                                                 application_id=_app_id(input.application_id), reason=input.reason)
            return app.id

        return await _application_payload(info, action)
