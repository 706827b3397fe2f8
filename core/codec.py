"""Encryption of every Temporal payload (AES-GCM), so personal data never reaches the
event history in plain text. The key id travels in the payload metadata, so keys can be
rotated and a destroyed key makes its payloads unreadable (crypto-shredding)."""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

ENCODING = b"binary/encrypted"


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: dict[str, bytes], active: str) -> None:
        if active not in keys:
            raise ValueError(f"active key '{active}' is not in the key ring")
        self._ciphers = {k: AESGCM(v) for k, v in keys.items()}
        self._active = active

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self._active]
        out = []
        for p in payloads:
            nonce = os.urandom(12)
            out.append(Payload(
                metadata={"encoding": ENCODING, "encryption-key-id": self._active.encode()},
                data=nonce + cipher.encrypt(nonce, p.SerializeToString(), None),
            ))
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            if p.metadata.get("encoding") != ENCODING:
                out.append(p)
                continue
            key_id = p.metadata["encryption-key-id"].decode()
            cipher = self._ciphers.get(key_id)
            if cipher is None:
                raise ValueError(f"payload encrypted with unknown or destroyed key '{key_id}'")
            plain = cipher.decrypt(p.data[:12], p.data[12:], None)
            decoded = Payload()
            decoded.ParseFromString(plain)
            out.append(decoded)
        return out


def parse_keys(spec: str) -> tuple[dict[str, bytes], str]:
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        key_id, _, b64 = part.partition(":")
        raw = base64.b64decode(b64)
        if len(raw) not in (16, 24, 32):
            raise ValueError(f"key '{key_id}' must be 16, 24 or 32 bytes")
        keys[key_id] = raw
        order.append(key_id)
    if not keys:
        raise ValueError("no payload keys configured")
    return keys, order[0]


def load_or_create_keys(spec: str, key_file: Path) -> tuple[dict[str, bytes], str]:
    if spec:
        return parse_keys(spec)
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text("k1:" + base64.b64encode(AESGCM.generate_key(256)).decode())
        key_file.chmod(0o600)
    return parse_keys(key_file.read_text().strip())


def data_converter(keys: dict[str, bytes], active: str) -> DataConverter:
    return DataConverter(
        payload_codec=EncryptionCodec(keys, active),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def secret_file(path: Path) -> bytes:
    """A random secret kept in a file (created on first use, readable by us only)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.b64encode(os.urandom(32)).decode())
        path.chmod(0o600)
    return path.read_text().strip().encode()
