"""Text helpers shared by pages, exports and messages (no web, no database)."""
