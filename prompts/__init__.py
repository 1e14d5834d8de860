"""Prompt files and wording templates, loaded by name."""
