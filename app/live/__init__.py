"""Live updates: one Redis subscription per web process, fanned out to its pages."""
