"""The conversation and the command-line face: settings, CLI, rendering."""
