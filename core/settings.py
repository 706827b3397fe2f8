"""Settings from the environment (LOANFLOW_*), cached; tests override with reset()."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOANFLOW_", extra="ignore")

    # "dev" seeds demo accounts with password "demo"; "production" never does.
    mode: str = "dev"
    data_dir: Path = ROOT / "var"
    database_url: str = ""
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "loanflow"
    # Payload encryption keys "id:base64key,id2:base64key"; the first encrypts. Empty in
    # dev mode: a key file is created under data_dir.
    payload_keys: str = ""
    jwt_secret: str = ""
    jwt_ttl_minutes: int = 60
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Outside systems: base URLs of the simulators (or real providers).
    identity_url: str = "http://127.0.0.1:8101"
    employment_url: str = "http://127.0.0.1:8102"
    bureau_url: str = "http://127.0.0.1:8103"
    sanctions_url: str = "http://127.0.0.1:8104"
    model_dir: Path | None = None

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'loanflow.db'}"

    @property
    def models_path(self) -> Path:
        return self.model_dir or self.data_dir / "models"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reset() -> None:
    get_settings.cache_clear()
