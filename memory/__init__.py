"""Everything persisted: the SQL account store, its migrations and its read models."""
