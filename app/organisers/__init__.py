"""Organiser pages and actions: bundles, publishing, phases, participation, the audit log."""
