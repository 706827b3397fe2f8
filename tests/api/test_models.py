"""Model reports and the model list (compliance, process owners, admins) and loan outcomes
(admins), over the app with a real SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.main import create_app
from store.db import engine_for
from store.models import Application, LoanOutcome
from tests.conftest import make_settings
from tests.retrain_support import registry_copy


@pytest.fixture
def client(tmp_path: Path, sqlite_url: str, temporal_address: str) -> Iterator[TestClient]:
    registry = registry_copy(tmp_path)
    settings = make_settings(tmp_path, sqlite_url, temporal_address, model_dir=registry.root)
    with TestClient(create_app(settings)) as http:
        yield http


def _as(http: TestClient, user: str) -> dict[str, str]:
    r = http.post("/api/auth/token", data={"username": user, "password": "demo"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_models_listed_with_champion_and_report_links(client: TestClient) -> None:
    r = client.get("/api/models", headers=_as(client, "carl"))
    assert r.status_code == 200, r.text
    models = {m["name"]: m for m in r.json()}
    assert set(models) == {"personal", "business", "micro", "behaviour"}
    personal = models["personal"]
    assert personal["champion"] == 1 and personal["challenger"] is None
    (v1,) = personal["versions"]
    assert v1["role"] == "champion" and 0.5 < v1["cv_auc"] < 1 and v1["ece"] is not None
    assert v1["report_url"] == "/api/models/personal/versions/1/report"


def test_report_is_html_with_plots(client: TestClient) -> None:
    for user in ("carl", "olga", "root"):
        r = client.get("/api/models/personal/versions/1/report", headers=_as(client, user))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/html")
        assert "Model report: personal v1" in r.text
        assert r.text.count('<img alt="" src="data:image/png;base64,') == 5  # ROC .. importance


def test_report_roles_and_missing_models(client: TestClient) -> None:
    assert client.get("/api/models/personal/versions/1/report").status_code == 401
    for user in ("alice", "uma"):
        r = client.get("/api/models/personal/versions/1/report", headers=_as(client, user))
        assert r.status_code == 403
        assert client.get("/api/models", headers=_as(client, user)).status_code == 403
    root = _as(client, "root")
    assert client.get("/api/models/personal/versions/9/report", headers=root).status_code == 404
    assert client.get("/api/models/nope/versions/1/report", headers=root).status_code == 404
    assert client.get("/api/models/Bad%20Name/versions/1/report",
                      headers=root).status_code == 404
    assert client.get("/api/models/personal/versions/0/report", headers=root).status_code == 422


def test_models_page_links_the_reports(client: TestClient) -> None:
    r = client.post("/login", data={"username": "carl", "password": "demo"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/models")
    assert page.status_code == 200
    assert 'href="/api/models/behaviour/versions/1/report"' in page.text
    assert client.get("/api/models/behaviour/versions/1/report").status_code == 200  # cookie


def _application(db_url: str, status: str) -> str:
    with Session(engine_for(db_url)) as s:
        app = Application(applicant_user="alice", submitted_by="alice", loan_type="personal",
                          amount=1000, term_months=12, payload="{}", status=status,
                          workflow_id="wf", process_id="p", process_version=1, sha256="x")
        s.add(app)
        s.commit()
        return app.id


def test_outcome_recorded_once_per_application(client: TestClient, sqlite_url: str) -> None:
    app_id = _application(sqlite_url, "approved")
    url = f"/api/applications/{app_id}/outcome"
    assert client.post(url, json={"defaulted": True},
                       headers=_as(client, "carl")).status_code == 403
    r = client.post(url, json={"defaulted": True}, headers=_as(client, "root"))
    assert r.status_code == 200, r.text
    assert r.json()["defaulted"] is True and r.json()["recorded_by"] == "root"
    r = client.post(url, json={"defaulted": False, "observed_at": "2025-01-31T00:00:00Z"},
                    headers=_as(client, "root"))  # a correction replaces it
    assert r.status_code == 200 and r.json()["defaulted"] is False
    with Session(engine_for(sqlite_url)) as s:
        rows = s.exec(select(LoanOutcome)).all()
    assert [(o.application_id, o.defaulted) for o in rows] == [(app_id, False)]
    root = _as(client, "root")
    assert client.post("/api/applications/missing/outcome", json={"defaulted": True},
                       headers=root).status_code == 404
    declined = _application(sqlite_url, "declined")
    assert client.post(f"/api/applications/{declined}/outcome", json={"defaulted": True},
                       headers=root).status_code == 409
    assert client.post(url, json={"defaulted": "maybe"}, headers=root).status_code == 422
