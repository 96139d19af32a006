"""The platform's own plumbing: settings, database, file store, runtime."""
