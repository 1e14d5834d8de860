"""The outside world: CSV import, the demo portfolio, and (later) CRM, support and billing."""
