"""E-mail: the outbox, the mails' templates, and the SMTP conversation a queue job runs."""
