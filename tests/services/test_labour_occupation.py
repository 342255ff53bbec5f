"""Issue 13 item 7: a LABOUR application is judged on one occupation. Its
questionnaire names the application's occupation, or leaves it out and takes
it from the application; another code is INVALID_INPUT on occupationCode."""

from __future__ import annotations

from tests.conftest import GQL
from tests.helpers_pipeline import (
    LANGUAGE_TEST,
    OFFICER,
    QUESTIONNAIRE,
    counts,
    language_input,
    ok,
    one_error,
    questionnaire_input,
    submit,
    submit_input,
    take_through,
)


async def test_a_labour_questionnaire_names_the_occupation_of_its_application(gql: GQL, sessions) -> None:
    app = await submit(gql, submit_input("LABOUR", "KZ-23", "7212", ethnic_kazakh=False, citizenship="IND"))
    await ok(gql, LANGUAGE_TEST, language_input(app["id"]))
    before = await counts(sessions)
    data = await gql.ok(QUESTIONNAIRE, {"input": questionnaire_input(app["id"], occupationCode="2211")}, **OFFICER)
    error = one_error(data)
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["input", "occupationCode"])
    assert "for occupation 7212" in error["message"] and "not 2211" in error["message"]
    assert await counts(sessions) == before  # nothing written

    # left out: taken from the application
    taken = await ok(gql, QUESTIONNAIRE, questionnaire_input(app["id"], occupationCode=None))
    assert taken["questionnaire"]["occupationCode"] == "7212"
    # the same code: accepted
    same = await ok(gql, QUESTIONNAIRE, questionnaire_input(app["id"], occupationCode="7212"))
    assert same["questionnaire"]["occupationCode"] == "7212"
    # an edit by an officer after scoring is held to the same rule
    scored = await take_through(gql, app["id"], questionnaire={"occupationCode": None})
    deficit = next(c for c in scored["score"]["breakdown"] if c["code"] == "deficit_occupation")
    assert deficit == {"code": "deficit_occupation", "points": 60, "maxPoints": 60, "value": "true",
                       "reason": "true gives 60 of 60"}
    again = one_error(await gql.ok(QUESTIONNAIRE, {"input": questionnaire_input(app["id"], occupationCode="2211")},
                                   **OFFICER))
    assert (again["code"], again["field"]) == ("INVALID_INPUT", ["input", "occupationCode"])


async def test_other_routes_name_any_known_occupation_or_none(gql: GQL) -> None:
    for route, region in (("GENERAL", "KZ-75"), ("KANDAS", "KZ-55")):
        app = await submit(gql, submit_input(route, region, ethnic_kazakh=True))
        await ok(gql, LANGUAGE_TEST, language_input(app["id"]))
        named = await ok(gql, QUESTIONNAIRE, questionnaire_input(app["id"], occupationCode="2211"))
        assert named["questionnaire"]["occupationCode"] == "2211"
        none = await ok(gql, QUESTIONNAIRE, questionnaire_input(app["id"], occupationCode=None))
        assert none["questionnaire"]["occupationCode"] is None
