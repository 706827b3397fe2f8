"""The activities that reach outside systems, wired to their adapters by configuration:
the simulators on loopback by default, real providers by URL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.bureau import BureauActivities
from activities.calendar import DeadlineActivities
from activities.documents import DocumentActivities
from activities.identity import IdentityActivities
from activities.scoring import ScoringActivities
from activities.verification import VerificationActivities
from core.codec import secret_file
from core.settings import Settings
from store.db import session_factory
from store.documents import SqlDocumentStore
from store.records import SqlInternalRecords
from verification.adapters import http_sources
from verification.documents import TesseractOcr


def outside_activities(settings: Settings) -> list[Callable[..., Any]]:
    identity, employment, bureau, sanctions = http_sources({
        "identity": settings.identity_url, "employment": settings.employment_url,
        "bureau": settings.bureau_url, "sanctions": settings.sanctions_url,
    })
    # National ID numbers are kept only as keyed digests; the key lives apart from the data.
    records = SqlInternalRecords(session_factory(settings.db_url),
                                 secret_file(settings.data_dir / "records.key"))
    ident = IdentityActivities(identity, employment, sanctions)
    verify = VerificationActivities(records)
    # Uploads are sealed with a key of their own, beside the data (as the API keeps them).
    documents = DocumentActivities(
        SqlDocumentStore(session_factory(settings.db_url),
                         secret_file(settings.data_dir / "documents.key")),
        TesseractOcr())
    scoring = ScoringActivities.from_settings(settings, session_factory(settings.db_url))
    return [
        verify.validate_application, verify.cross_check, ident.verify_identity,
        ident.check_employment, ident.screen_sanctions,
        BureauActivities(bureau).pull_credit_report,
        scoring.score_application, DeadlineActivities().plan_deadlines,
        documents.read_documents,
    ]
