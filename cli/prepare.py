"""`python -m cli.prepare`: what a first start needs, idempotent: tables, the shipped
diagrams, demo accounts (dev mode only) and the credit models (trained from data/ when
the registry has none)."""

from __future__ import annotations

import sys

from sqlmodel import Session

from core.settings import get_settings
from store.accounts import seed_demo_users
from store.db import init_db
from store.definitions import deploy_shipped


def main() -> int:
    settings = get_settings()
    eng = init_db(settings.db_url)
    with Session(eng) as s:
        for d in deploy_shipped(s):
            state = "deployed" if d.created else "already deployed"
            print(f"  {d.row.process_id} v{d.row.version} ({d.row.loan_type}): {state}")
        created = seed_demo_users(s, settings.mode)
        if created:
            print(f"  {created} demo accounts created (password: demo)")
    from risk.registry import ensure_default_models

    ensure_default_models(settings.models_path, progress=print)
    return 0


if __name__ == "__main__":
    sys.exit(main())
