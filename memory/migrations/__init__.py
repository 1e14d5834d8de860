"""Alembic migrations of the account store, applied automatically on first use."""
