"""Syncing vendor systems (CRM, support desk, billing) into the account store.

`base` defines what a source yields, `registry` finds a source by name, `runner` writes its
pages into the store resumably, and `state` keeps each source's cursor and last run.
"""
