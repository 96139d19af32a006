"""Judging finalists: assignments, rubric reviews, the combined final ranking and exports."""
