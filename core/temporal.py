"""One way to reach Temporal: the client with loanflow's data converter."""

from __future__ import annotations

from temporalio.client import Client

from core.codec import data_converter, load_or_create_keys
from core.settings import Settings


def converter_for(settings: Settings):  # type: ignore[no-untyped-def]
    keys, active = load_or_create_keys(settings.payload_keys, settings.data_dir / "payload.key")
    return data_converter(keys, active)


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=converter_for(settings),
    )
