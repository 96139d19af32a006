"""Serving the site: dependencies, security, limits, the server, templates, static."""
