"""Benchmarks and (later) the harness that replays scripted CS conversations."""
