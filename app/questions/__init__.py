"""Questions about a challenge (clarifications): asked by teams, answered by its organisers."""
