"""Announcements: organisers speak to an event, a track or a challenge, on pages, live and by mail."""
