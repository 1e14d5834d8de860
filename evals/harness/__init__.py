"""The eval harness: replay scripted CS conversations against the agent and score them.

format (the YAML conversation files), fixtures (the data each conversation runs on), runner
(one conversation in one mode), scripted (the fake model endpoint and cassettes), checks
(expectations to failures) and scorecard (the aggregate, as Markdown and JSON).
"""
