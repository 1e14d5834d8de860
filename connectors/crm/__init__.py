"""CRM backends by name: "local" (a SQL table in the account store) now, more behind it later.

A backend module registers a factory with `register(name, factory)`; `create_backend(name,
store)` builds one. HubSpot and Salesforce will register the same way, reading their
credentials from the settings in their factory (the store argument they may ignore).

Example:
    backend = create_backend("local", store)
    outcome = memory.writes.execute(store, change, backend, actor="u1", confirmed_by="u1")
"""

from __future__ import annotations

from collections.abc import Callable

from connectors.crm.base import (
    CrmBackend,
    CrmError,
    PermanentCrmError,
    RetryableCrmError,
    WriteReceipt,
)
from memory.store import Store

BackendFactory = Callable[[Store], CrmBackend]
"""Builds a backend; gets the account store (the local backend keeps its table there)."""

_BACKENDS: dict[str, BackendFactory] = {}

DEFAULT_BACKEND = "local"


def register(name: str, factory: BackendFactory) -> None:
    """Register a backend factory under `name` (re-registering a name replaces it)."""
    _BACKENDS[name] = factory


def backend_names() -> list[str]:
    """Return the registered backends' names, sorted."""
    return sorted(_BACKENDS)


def create_backend(name: str, store: Store) -> CrmBackend:
    """Build the backend registered as `name`.

    Raises:
        ValueError: no backend has that name (the message lists the ones there are).
    """
    factory = _BACKENDS.get(name)
    if factory is None:
        raise ValueError(
            f"unknown CRM backend {name!r}: choose one of {', '.join(backend_names())}"
        )
    return factory(store)


def _register_builtins() -> None:
    from connectors.crm.local import LocalCrm

    register(LocalCrm.name, LocalCrm)
    register("hubspot", _lazy("connectors.hubspot.writer"))
    register("salesforce", _lazy("connectors.salesforce.writer"))


def _lazy(module: str) -> BackendFactory:
    """Return a factory importing `module` (its `crm_backend`) only when a backend is built."""

    def factory(store: Store) -> CrmBackend:
        import importlib

        return importlib.import_module(module).crm_backend(store)

    return factory


_register_builtins()

__all__ = [
    "DEFAULT_BACKEND",
    "BackendFactory",
    "CrmBackend",
    "CrmError",
    "PermanentCrmError",
    "RetryableCrmError",
    "WriteReceipt",
    "backend_names",
    "create_backend",
    "register",
]
