"""Run one command in a hardened, throw-away Docker container.

This layer knows nothing of challenges, teams or scores: it takes an image, a
command, some mounts and limits, and reports what happened.
"""
