"""SPEC §16 over GraphQL: ``Accept-Language`` picks Kazakh, Russian or English
for every message a person reads (user errors of every code, top-level
errors, a score's reasons); codes, fields and values never change, and the
parameters (amounts, dates, names of states) appear in each language, written
as that language writes them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import update

import models as m
from api.graphql import ids
from models.enums import Route
from services.rules import add_years
from models.base import today_almaty
from tests import factories
from tests.conftest import token_for
from tests.helpers_pipeline import SUBMIT, WITHDRAW, submit_input

NBSP = "\u00a0"
NNBSP = "\u202f"  # CLDR's narrow no-break space (Kazakh "2026 ж.")
ERRORS = "errors { field code message }"
PAYMENT = f"""mutation($input: RecordSupportPaymentInput!) {{ recordSupportPayment(input: $input) {{
  contract {{ id }} {ERRORS} }} }}"""
CREATE_MODEL = f"""mutation($input: CreateScoringModelInput!) {{ createScoringModel(input: $input) {{
  scoringModel {{ id }} {ERRORS} }} }}"""
PUBLISH = f"""mutation($input: PublishScoringModelInput!) {{ publishScoringModel(input: $input) {{
  scoringModel {{ id }} {ERRORS} }} }}"""
SCORE = f"""mutation($input: ScoreApplicationInput!) {{ scoreApplication(input: $input) {{
  application {{ id }} {ERRORS} }} }}"""
DECIDE = f"""mutation($input: DecideApplicationInput!) {{ decideApplication(input: $input) {{
  application {{ id }} {ERRORS} }} }}"""


async def ask(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, *,
              language: str | None = None, role: str | None = "OFFICER", subject: str = "officer-1") -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token_for(role, subject)}"} if role else {}
    if language is not None:
        headers["Accept-Language"] = language
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def payload_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    return payload["errors"]


@dataclass
class Case:
    """One refusal: ``arrange`` makes the world and returns (query, variables, role);
    ``shown`` is what each language's message must contain."""

    code: str
    field: list[str]
    arrange: Callable[[Any, Any], Awaitable[tuple[str, dict[str, Any], str]]]
    shown: dict[str, list[str]]
    words: dict[str, str]  # a word of each language's sentence (proves it is translated)


async def too_young(client: Any, sessions: Any) -> tuple[str, dict[str, Any], str]:
    return SUBMIT, {"input": submit_input("GENERAL", "KZ-75", age=17, with_iin=False)}, "OFFICER"


async def over_the_cap(client: Any, sessions: Any) -> tuple[str, dict[str, Any], str]:
    async with sessions() as s, s.begin():
        contract = await factories.make_contract(s)
    return PAYMENT, {"input": {"contractId": ids.encode("SocialContract", contract.id), "measureCode": "HOUSING_RENT",
                               "amount": "2000000.00", "paidOn": "2026-04-01"}}, "OFFICER"


async def unknown_application(client: Any, sessions: Any) -> tuple[str, dict[str, Any], str]:
    return WITHDRAW, {"input": {"applicationId": ids.encode("Application", 987654)}}, "OFFICER"


async def applicant_scores(client: Any, sessions: Any) -> tuple[str, dict[str, Any], str]:
    return SCORE, {"input": {"applicationId": ids.encode("Application", 1)}}, "APPLICANT"


async def withdrawn_twice(client: Any, sessions: Any) -> tuple[str, dict[str, Any], str]:
    body = await ask(client, SUBMIT, {"input": submit_input("GENERAL", "KZ-75")})
    app_id = body["data"]["submitApplication"]["application"]["id"]
    await ask(client, WITHDRAW, {"input": {"applicationId": app_id, "reason": "moved"}})
    return WITHDRAW, {"input": {"applicationId": app_id}}, "OFFICER"


def model_input(version: str) -> dict[str, Any]:
    from services.default_model import DEFAULT_MODEL_DEFINITION

    return {"input": {"version": version, "effectiveFrom": "2026-06-01", "definition": DEFAULT_MODEL_DEFINITION}}


async def same_version(client: Any, sessions: Any) -> tuple[str, dict[str, Any], str]:
    await ask(client, CREATE_MODEL, model_input("2026.lang"), role="ADMIN", subject="admin-1")
    return CREATE_MODEL, model_input("2026.lang"), "ADMIN"


async def labour_quota_used_up(client: Any, sessions: Any) -> tuple[str, dict[str, Any], str]:
    async with sessions() as s, s.begin():
        app = await factories.make_passed_application(s, route=Route.LABOUR, region_code="KZ-55",
                                                      occupation_code="2211")
        await factories.labour_quota(s, "KZ-55", "2211", capacity=3, used=3)
    return DECIDE, {"input": {"applicationId": ids.encode("Application", app.id), "decision": "APPROVE"}}, "OFFICER"


async def same_effective_date(client: Any, sessions: Any) -> tuple[str, dict[str, Any], str]:
    first = await ask(client, CREATE_MODEL, model_input("2026.a"), role="ADMIN", subject="admin-1")
    second = await ask(client, CREATE_MODEL, model_input("2026.b"), role="ADMIN", subject="admin-1")
    await ask(client, PUBLISH, {"input": {"id": first["data"]["createScoringModel"]["scoringModel"]["id"]}},
              role="ADMIN", subject="admin-1")
    return PUBLISH, {"input": {"id": second["data"]["createScoringModel"]["scoringModel"]["id"]}}, "ADMIN"


LATEST = add_years(today_almaty(), -18)
CASES = {
    "INVALID_INPUT (a date)": Case(
        "INVALID_INPUT", ["input", "applicant", "birthDate"], too_young,
        {"en": [LATEST.isoformat(), "18"], "ru": [f"{LATEST.day} декабря {LATEST.year}{NNBSP}г.", "18"],
         "kk": [f"{LATEST.year}{NNBSP}ж. {LATEST.day} желтоқсан", "18"]},
        {"en": "years old", "ru": "Заявителю", "kk": "Өтініш берушінің"}),
    "INVALID_INPUT (amounts)": Case(
        "INVALID_INPUT", ["input", "amount"], over_the_cap,
        {"en": ["1557000.00", "2000000.00", "4325.00", "HOUSING_RENT", "2026"],
         "ru": [f"1{NBSP}557{NBSP}000,00 ₸", f"2{NBSP}000{NBSP}000,00 ₸", f"4{NBSP}325,00 ₸", "HOUSING_RENT", "2026"],
         "kk": [f"1{NBSP}557{NBSP}000,00 ₸", f"2{NBSP}000{NBSP}000,00 ₸", f"4{NBSP}325,00 ₸", "HOUSING_RENT", "2026"]},
        {"en": "is capped at", "ru": "МРП", "kk": "АЕК"}),
    "NOT_FOUND": Case(
        "NOT_FOUND", ["input", "applicationId"], unknown_application,
        {"en": ["application"], "ru": ["заявление"], "kk": ["өтініш"]},
        {"en": "not found", "ru": "Не найдено", "kk": "табылмады"}),
    "FORBIDDEN": Case(
        "FORBIDDEN", None, applicant_scores,  # type: ignore[arg-type]
        {"en": ["score applications"], "ru": ["оценивать заявления"], "kk": ["өтініштерді бағалау"]},
        {"en": "only officers", "ru": "только сотрудники", "kk": "тек қызметкерлер"}),
    "INVALID_STATE": Case(
        "INVALID_STATE", ["input", "applicationId"], withdrawn_twice,
        {"en": ["withdrawApplication", "WITHDRAWN", "SUBMITTED"], "ru": ["withdrawApplication", "WITHDRAWN", "SUBMITTED"],
         "kk": ["withdrawApplication", "WITHDRAWN", "SUBMITTED"]},
        {"en": "needs the application", "ru": "статусе", "kk": "мәртебесінде"}),
    "DUPLICATE": Case(
        "DUPLICATE", ["input", "version"], same_version,
        {"en": ["2026.lang"], "ru": ["2026.lang"], "kk": ["2026.lang"]},
        {"en": "already exists", "ru": "уже существует", "kk": "бұрыннан бар"}),
    "QUOTA_EXHAUSTED": Case(
        "QUOTA_EXHAUSTED", ["input", "applicationId"], labour_quota_used_up,
        {"en": ["2026", "LABOUR"], "ru": ["2026", "LABOUR"], "kk": ["2026", "LABOUR"]},
        {"en": "exhausted", "ru": "исчерпана", "kk": "таусылды"}),
    "CONFLICT": Case(
        "CONFLICT", ["input", "id"], same_effective_date,
        {"en": ["2026.a", "2026-06-01"], "ru": ["2026.a", f"1 июня 2026{NNBSP}г."], "kk": ["2026.a", f"2026{NNBSP}ж. 1 маусым"]},
        {"en": "already published", "ru": "уже опубликована", "kk": "жарияланған"}),
}


def test_every_code_a_payload_can_carry_is_covered() -> None:
    from services.errors import ErrorCode

    assert {case.code for case in CASES.values()} == {c.value for c in ErrorCode}


@pytest.mark.parametrize("name", list(CASES))
async def test_user_errors_in_kazakh_russian_and_english(client: httpx.AsyncClient, sessions: Any, name: str) -> None:
    case = CASES[name]
    query, variables, role = await case.arrange(client, sessions)
    subject = {"ADMIN": "admin-1", "APPLICANT": "applicant-1"}.get(role, "officer-1")
    answers = {}
    for header, language in [("kk-KZ,kk;q=0.9", "kk"), ("ru", "ru"), ("en-GB", "en"), (None, "en")]:
        (error,) = payload_errors(await ask(client, query, variables, language=header, role=role, subject=subject))
        assert error["code"] == case.code and error["field"] == case.field, error
        for shown in case.shown[language]:
            assert shown in error["message"], (language, shown, error["message"])
        assert case.words[language] in error["message"], (language, error["message"])
        answers[header] = error["message"]
    assert answers["en-GB"] == answers[None]  # without the header: English, as before
    assert len({answers["kk-KZ,kk;q=0.9"], answers["ru"], answers[None]}) == 3


async def test_q_values_pick_the_language_and_an_unknown_one_is_english(client: httpx.AsyncClient) -> None:
    variables = {"input": {"applicationId": ids.encode("Application", 987654)}}
    message = {}
    for header in ["de, ru;q=0.5, kk;q=0.8", "en;q=0.1, ru;q=0.9", "fr-CH, de;q=0.9", "*"]:
        (error,) = payload_errors(await ask(client, WITHDRAW, variables, language=header))
        message[header] = error["message"]
    assert message["de, ru;q=0.5, kk;q=0.8"] == "өтініш табылмады"
    assert message["en;q=0.1, ru;q=0.9"] == "Не найдено: заявление"
    assert message["fr-CH, de;q=0.9"] == message["*"] == "application not found"


async def test_top_level_errors_are_translated_with_their_code(client: httpx.AsyncClient) -> None:
    query = '{ applications(filter: {search: "!!!"}) { edges { node { id } } } }'
    bodies = {lang: await ask(client, query, language=lang) for lang in ("kk", "ru", "en")}
    codes = {lang: [e["extensions"]["code"] for e in body["errors"]] for lang, body in bodies.items()}
    assert codes["kk"] == codes["ru"] == codes["en"] == ["INVALID_INPUT"]
    assert bodies["en"]["errors"][0]["message"].startswith("filter.search: search needs a letter or digit")
    assert bodies["ru"]["errors"][0]["message"].startswith("filter.search: для поиска нужна буква или цифра")
    assert bodies["kk"]["errors"][0]["message"].startswith("filter.search: іздеу үшін әріп немесе цифр қажет")
    anonymous = await ask(client, "{ applications { edges { node { id } } } }", language="ru", role=None)
    assert anonymous["errors"][0]["message"] == "требуется аутентификация"
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_refused_credential_and_a_refused_body_are_explained_in_the_request_language(
        client: httpx.AsyncClient, settings: Any) -> None:
    query = {"query": "{ regions { code } }"}
    said = {}
    for lang in ("kk", "ru", "en"):
        for name, token in (("token", "not-a-token"), ("key", "qk_nope_nothing")):
            response = await client.post("/graphql", json=query, headers={
                "Authorization": f"Bearer {token}", "Accept-Language": lang})
            assert response.status_code == 401
            (error,) = response.json()["errors"]
            assert error["extensions"]["code"] == "UNAUTHENTICATED"
            said[lang, name] = error["message"]
        big = await client.post("/graphql", content=b"x" * (settings.max_body_bytes + 1), headers={
            "content-type": "application/json", "Accept-Language": lang})
        assert big.status_code == 413
        said[lang, "body"] = big.json()["errors"][0]["message"]
    assert said["en", "token"] == "the token is not valid" and said["ru", "token"] == "токен недействителен"
    assert said["kk", "token"] == "токен жарамсыз"
    assert said["en", "key"] == "the API key is not valid" and said["ru", "key"] == "API-ключ недействителен"
    assert said["en", "body"].startswith("request body exceeds the limit of")
    assert said["ru", "body"].startswith("тело запроса превышает предел") and said["kk", "body"] != said["en", "body"]
    for lang in ("kk", "ru", "en"):  # the limit, as each language writes a number
        assert str(settings.max_body_bytes) in "".join(ch for ch in said[lang, "body"] if ch.isdigit())


async def test_a_stored_score_explains_itself_in_each_language(client: httpx.AsyncClient, sessions: Any) -> None:
    from tests.helpers_pipeline import take_through
    from tests.conftest import GQL

    body = await ask(client, SUBMIT, {"input": submit_input("KANDAS", "KZ-55", age=34)})
    app_id = body["data"]["submitApplication"]["application"]["id"]
    await take_through(GQL(client), app_id)
    query = """query($id: ID!) { application(id: $id) { status score { total
      gates { code passed value reason } breakdown { code points value reason } } } }"""
    read = {lang: (await ask(client, query, {"id": app_id}, language=lang))["data"]["application"]
            for lang in ("kk", "ru", "en")}
    kazakh = {lang: next(c for c in read[lang]["score"]["breakdown"] if c["code"] == "kazakh") for lang in read}
    assert kazakh["en"]["reason"] == "B1 gives 110 of 150"
    assert kazakh["ru"]["reason"] == "B1: 110 из 150"
    assert kazakh["kk"]["reason"] == "B1: 150 балдан 110"
    age = {lang: next(c for c in read[lang]["score"]["breakdown"] if c["code"] == "age") for lang in read}
    assert age["ru"]["reason"] == "возраст заявителя: 34, диапазон 30–39: 80 из 100"
    # values, codes and points never change
    for lang in ("kk", "ru"):
        strip = lambda a: [{k: v for k, v in c.items() if k != "reason"} for c in a["score"]["breakdown"]]  # noqa: E731
        assert strip(read[lang]) == strip(read["en"])
        assert read[lang]["status"] == read["en"]["status"]


async def test_scores_stored_before_keep_their_english_reason(client: httpx.AsyncClient, sessions: Any) -> None:
    async with sessions() as s, s.begin():
        app = await factories.make_passed_application(s)
        await s.execute(update(m.Score).where(m.Score.application_id == app.id).values(result={
            "total": 500, "maxTotal": 690, "passMark": 400, "passed": True, "gates": [],
            "breakdown": [{"code": "kazakh", "points": 110, "maxPoints": 150, "value": "B1",
                           "reason": "B1 gives 110 of 150"}]}))
    query = """query($id: ID!) { application(id: $id) { score { breakdown { reason } } } }"""
    body = await ask(client, query, {"id": ids.encode("Application", app.id)}, language="ru")
    assert body["data"]["application"]["score"]["breakdown"] == [{"reason": "B1 gives 110 of 150"}]


async def test_reference_names_in_the_request_language(client: httpx.AsyncClient) -> None:
    query = """{ regions { code name nameKk nameRu nameEn }
      occupations { code name nameKk nameRu nameEn } }"""
    read = {lang: (await ask(client, query, language=lang))["data"] for lang in ("kk", "ru", "en", None)}
    pavlodar = {lang: next(r for r in data["regions"] if r["code"] == "KZ-55") for lang, data in read.items()}
    assert pavlodar["kk"]["name"] == pavlodar["kk"]["nameKk"] == "Павлодар облысы"
    assert pavlodar["ru"]["name"] == pavlodar["ru"]["nameRu"] == "Павлодарская область"
    assert pavlodar["en"]["name"] == pavlodar[None]["name"] == pavlodar["en"]["nameEn"] == "Pavlodar Region"
    welders = {lang: next(o for o in data["occupations"] if o["code"] == "7212") for lang, data in read.items()}
    assert welders["kk"]["name"] == "Дәнекерлеушілер мен газбен кесушілер"
    assert welders["ru"]["name"] == "Сварщики и газорезчики"
    assert welders[None]["name"] == "Welders and flamecutters"
    for lang in ("kk", "ru", None):  # the fixed-language fields never change
        assert {k: v for k, v in welders[lang].items() if k != "name"} == \
            {k: v for k, v in welders["en"].items() if k != "name"}


async def test_support_measures_and_termination_reasons_are_named_in_the_request_language(
        client: httpx.AsyncClient) -> None:
    """SPEC §16: support measures and termination reasons, reference data with names, have
    nameKk, nameRu and nameEn and a name in the request's language."""
    from services import reference_names

    query = """{ supportMeasures { code name nameKk nameRu nameEn capMrp perFamilyMember }
      terminationReasons { code name nameKk nameRu nameEn refundable } }"""
    read = {lang: (await ask(client, query, language=lang))["data"] for lang in ("kk", "ru", "en")}
    for root, kk_ru in (("supportMeasures", reference_names.SUPPORT_MEASURES),
                        ("terminationReasons", reference_names.TERMINATION_REASONS)):
        assert [r["code"] for r in read["en"][root]] == sorted(kk_ru), root
        for lang, data in read.items():
            for row in data[root]:
                kk, ru = kk_ru[row["code"]]
                assert (row["nameKk"], row["nameRu"]) == (kk, ru)
                assert row["name"] == {"kk": kk, "ru": ru, "en": row["nameEn"]}[lang]
    relocation = next(r for r in read["en"]["supportMeasures"] if r["code"] == "RELOCATION")
    assert (relocation["capMrp"], relocation["perFamilyMember"]) == ("70.00", True)
    assert {r["code"]: r["refundable"] for r in read["en"]["terminationReasons"]}["DEATH"] is False
    applicant = await ask(client, query, role="APPLICANT", subject="alice")  # people who apply read them too
    assert applicant["data"] == read["en"]
    anonymous = await ask(client, query, role=None)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_holidays_are_named_in_the_request_language(client: httpx.AsyncClient) -> None:
    query = "{ holidays(year: 2026) { date name nameKk nameRu nameEn } }"
    read = {lang: (await ask(client, query, language=lang))["data"]["holidays"] for lang in ("kk", "ru", None)}
    independence = {lang: next(h for h in days if h["date"] == "2026-12-16") for lang, days in read.items()}
    assert independence["kk"]["name"] == independence["kk"]["nameKk"] == "Тәуелсіздік күні"
    assert independence["ru"]["name"] == independence["ru"]["nameRu"] == "День Независимости"
    assert independence[None]["name"] == independence[None]["nameEn"] == "Independence Day"


async def test_check_types_and_agencies_are_named_in_the_request_language(
        client: httpx.AsyncClient, sessions: Any) -> None:
    async with sessions() as s, s.begin():
        app = await factories.make_application(s)
    from tests.helpers_pipeline import REQUEST_CHECKS
    await ask(client, REQUEST_CHECKS, {"input": {"applicationId": ids.encode("Application", app.id)}})
    query = """query($id: ID!) { application(id: $id) { checks { checkType { code name nameKk nameRu nameEn
      agency { code name nameKk nameRu nameEn } } } } }"""
    read = {lang: (await ask(client, query, {"id": ids.encode("Application", app.id)}, language=lang))
            ["data"]["application"]["checks"] for lang in ("kk", "ru", "en")}
    medical = {lang: next(c["checkType"] for c in checks if c["checkType"]["code"] == "MEDICAL")
               for lang, checks in read.items()}
    assert medical["kk"]["name"] == "Медициналық куәландыру"
    assert medical["ru"]["name"] == "Медицинское освидетельствование"
    assert medical["en"]["name"] == medical["en"]["nameEn"] == "Medical examination"
    assert medical["ru"]["agency"]["name"] == "Министерство здравоохранения"
    assert medical["kk"]["agency"]["name"] == medical["en"]["agency"]["nameKk"] == "Денсаулық сақтау министрлігі"
