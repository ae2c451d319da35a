"""Helpers for the template repository itself: its docs, its tests and its benchmark."""
