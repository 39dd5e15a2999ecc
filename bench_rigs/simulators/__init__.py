"""Simulated instruments for CI, served on pseudo-terminals so drivers run their real serial and
VISA code paths; all wired to one simulated circuit (`physics`)."""
