"""Renderers: turn typed results into rich renderables for the terminal."""
