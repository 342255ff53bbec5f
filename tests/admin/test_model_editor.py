"""The scoring model editor (issue 20): gates and criteria as rows, saved through
services.scoring_models (the API's rule), its errors next to the row."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
from sqlalchemy import select

from admin import model_editor
from core.db import transaction
from models import ScoringModel
from models.enums import ScoringModelStatus
from services.default_model import DEFAULT_MODEL_DEFINITION
from services.scoring_models import create_scoring_model, definition_errors
from services.viewer import SYSTEM
from tests.admin.test_admin import accounts, admin_client, auditor_client  # noqa: F401 (fixtures)


def form_of(definition: dict[str, Any], **values: str) -> dict[str, str]:
    """What the editor's form posts for ``definition``."""
    rows = model_editor.rows_of(definition)
    data = {"passMark": str(definition["passMark"]), "effective_from": "2027-01-01",
            "passMarkBasis": model_editor.basis_text(definition.get("passMarkBasis")), **values}
    for kind, kind_rows in rows.items():
        for i, row in enumerate(kind_rows):
            for name in ("code", "source", "min", "max", "equals", "points", "bands", "routes", "unless", "basis"):
                data[f"{kind}-{i}-{name}"] = getattr(row, name)
            data[f"{kind}-{i}-in"] = row.in_
    return data


def test_rows_give_back_the_definition_they_were_made_from() -> None:
    rows = model_editor.rows_of(DEFAULT_MODEL_DEFINITION)
    assert "basis" in DEFAULT_MODEL_DEFINITION["gates"][0] and "passMarkBasis" in DEFAULT_MODEL_DEFINITION
    definition, _ = model_editor.definition_of(str(DEFAULT_MODEL_DEFINITION["passMark"]), rows,
                                               model_editor.basis_text(DEFAULT_MODEL_DEFINITION["passMarkBasis"]))
    assert definition == DEFAULT_MODEL_DEFINITION  # the legal sources too (SPEC §17)
    assert definition_errors(definition) == []


async def draft(sessions: Any) -> ScoringModel:
    async with transaction(sessions) as session:
        return await create_scoring_model(session, SYSTEM, version="2027.1", effective_from=dt.date(2027, 1, 1),
                                          definition=DEFAULT_MODEL_DEFINITION)


async def test_a_bad_band_is_refused_next_to_its_row_and_a_good_edit_is_saved(
        admin_client: httpx.AsyncClient, sessions: Any) -> None:
    model = await draft(sessions)
    url = f"/admin/scoring-model/editor/{model.id}"
    page = await admin_client.get(url)
    assert page.status_code == 200 and 'id="editor-criteria"' in page.text and 'id="definition-json"' in page.text
    age = next(i for i, c in enumerate(DEFAULT_MODEL_DEFINITION["criteria"]) if c["code"] == "age")
    form = form_of(DEFAULT_MODEL_DEFINITION)
    form[f"criteria-{age}-bands"] = "29..18 = 100\n30..39 = 80"
    refused = await admin_client.post(url, data=form)
    assert refused.status_code == 400
    errors = re.search(rf'id="criteria-{age}-errors">(.*?)</tr>', refused.text, re.S)
    assert errors and "bands 0 min: min 29 is above max 18" in errors.group(1)
    async with sessions() as session:
        assert (await session.get(ScoringModel, model.id)).definition == DEFAULT_MODEL_DEFINITION

    kazakh = next(i for i, c in enumerate(DEFAULT_MODEL_DEFINITION["criteria"]) if c["code"] == "kazakh")
    form = form_of(DEFAULT_MODEL_DEFINITION)
    form[f"criteria-{kazakh}-points"] = "A1 = 60\nA2 = 80\nB1 = 110\nB2 = 130\nC1 = 150"
    saved = await admin_client.post(url, data=form)
    assert saved.status_code == 303, saved.text
    async with sessions() as session:
        stored = await session.get(ScoringModel, model.id)
    assert stored.definition["criteria"][kazakh]["points"]["A1"] == 60
    assert stored.effective_from == dt.date(2027, 1, 1)


async def test_a_published_model_gives_a_new_draft(admin_client: httpx.AsyncClient, sessions: Any) -> None:
    async with sessions() as session:
        published = (await session.execute(select(ScoringModel).where(
            ScoringModel.status == ScoringModelStatus.PUBLISHED).order_by(ScoringModel.id.desc()))).scalars().first()
    form = form_of(published.definition, version="2027.9")
    response = await admin_client.post(f"/admin/scoring-model/editor/{published.id}", data=form)
    assert response.status_code == 303, response.text
    async with sessions() as session:
        new = (await session.execute(select(ScoringModel).where(ScoringModel.version == "2027.9"))).scalar_one()
    assert new.status == ScoringModelStatus.DRAFT and new.definition == published.definition


async def test_an_auditor_reads_the_rows_but_cannot_save(auditor_client: httpx.AsyncClient, sessions: Any) -> None:
    model = await draft(sessions)
    page = await auditor_client.get(f"/admin/scoring-model/editor/{model.id}")
    assert page.status_code == 200 and 'id="editor-save"' not in page.text
    refused = await auditor_client.post(f"/admin/scoring-model/editor/{model.id}",
                                        data=form_of(DEFAULT_MODEL_DEFINITION))
    assert refused.status_code in (400, 403)
