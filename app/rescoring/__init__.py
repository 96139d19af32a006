"""Rescore sets: judge submissions again, review old beside new, then replace the board."""
