"""The built-in scoring program, run inside the scoring container.

Self-contained on purpose (standard library and numpy, relative imports only):
the pipeline mounts this folder read-only as the package `marea_scorer` and
runs `python3 -m marea_scorer`, so the answers are only ever read in a sandbox.
"""
