from tests.risk.support import application, bureau, german_frame, shipped_registry

__all__ = ["application", "bureau", "german_frame", "shipped_registry"]
