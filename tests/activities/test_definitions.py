"""load_definition: a deployed definition's documents by sha256, read from the database
once per worker; an unknown sha256 fails for good, and is not remembered as missing."""

from __future__ import annotations

import base64
import zlib

import pytest
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.process import ProcessActivities
from bpmn.engine import DefinitionError, compiled
from store.db import init_db, session_factory
from store.definitions import deploy_shipped, latest_for_loan_type
from store.models import ProcessDefinition
from workflows.types import LoadDefinitionInput, LoadDefinitionResult


async def test_a_definition_is_read_once_then_served_from_memory(db_url: str) -> None:
    init_db(db_url)
    sessions = session_factory(db_url)
    with sessions() as s:
        deploy_shipped(s)
        d = latest_for_loan_type(s, "personal")
        sha, xml = d.sha256, d.executable_xml
    process, env = ProcessActivities(sessions), ActivityEnvironment()
    first = await env.run(process.load_definition, LoadDefinitionInput(sha))
    bpmn_xml, dmn_xml = first.documents()
    assert (first.sha256, bpmn_xml) == (sha, xml)
    assert len(dmn_xml) == 1 and 'id="approval_route"' in dmn_xml[0]
    # What goes into every run's history is the documents compressed, not their text.
    assert first.bpmn_xml == "" and first.dmn_xml == []
    assert len(first.packed) * 3 < len(xml) + len(dmn_xml[0])
    # The row is content-addressed: what was read stays right even if the row went away.
    with sessions() as s:
        s.delete(s.exec(select(ProcessDefinition).where(ProcessDefinition.sha256 == sha)).one())
        s.commit()
    assert await env.run(process.load_definition, LoadDefinitionInput(sha)) == first
    # A fresh worker reads the database again, and finds nothing now.
    with pytest.raises(ApplicationError) as err:
        await env.run(ProcessActivities(sessions).load_definition, LoadDefinitionInput(sha))
    assert err.value.type == "UnknownDefinition" and err.value.non_retryable


async def test_an_unknown_definition_is_looked_up_again_once_deployed(sqlite_url: str) -> None:
    init_db(sqlite_url)
    sessions = session_factory(sqlite_url)
    process, env = ProcessActivities(sessions), ActivityEnvironment()
    with sessions() as s:
        deployed = deploy_shipped(s)
        sha = latest_for_loan_type(s, "micro").sha256
        row = s.exec(select(ProcessDefinition).where(ProcessDefinition.sha256 == sha)).one()
        kept = row.model_dump()
        s.delete(row)
        s.commit()
    assert deployed
    with pytest.raises(ApplicationError, match=f"no deployed definition with sha256 {sha}"):
        await env.run(process.load_definition, LoadDefinitionInput(sha))
    with sessions() as s:
        s.add(ProcessDefinition(**kept))
        s.commit()
    assert (await env.run(process.load_definition, LoadDefinitionInput(sha))).sha256 == sha


def test_documents_read_back_packed_or_plain_as_older_histories_keep_them() -> None:
    bpmn_xml, dmn_xml = "<definitions>\u00e9</definitions>", ["<dmn/>", "<dmn2/>"]
    packed = LoadDefinitionResult.pack("ab" * 32, bpmn_xml, dmn_xml)
    assert packed.documents() == (bpmn_xml, dmn_xml)
    assert LoadDefinitionResult("ab" * 32, bpmn_xml, dmn_xml).documents() == (bpmn_xml, dmn_xml)


@pytest.mark.parametrize("packed", ["not base64!", base64.b64encode(b"plain").decode(),
                                    base64.b64encode(zlib.compress(b'{"a": 1}')).decode()])
def test_damaged_packed_documents_are_named_not_guessed(packed: str) -> None:
    with pytest.raises(ValueError, match=r"definition abababababab: .*packed documents"):
        LoadDefinitionResult("ab" * 32, packed=packed).documents()


def test_a_damaged_packed_definition_is_a_definition_error_when_compiled() -> None:
    """What a workflow turns into a non-retryable DiagramError/DefinitionError, rather
    than a workflow task failing over and over."""
    damaged = LoadDefinitionResult("cd" * 32, packed=base64.b64encode(b"not zlib").decode())
    with pytest.raises(DefinitionError, match="definition cdcdcdcdcdcd: unreadable"):
        compiled(damaged.sha256, damaged.documents, "loan_personal")
