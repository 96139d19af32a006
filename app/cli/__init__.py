"""The `marea` command: one module per command group."""
