"""Roles scoped to what a person runs: an event's organisers, a challenge's owners, judges."""
