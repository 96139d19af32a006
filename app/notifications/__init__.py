"""Which mails a person wants, and the one way a notification is mailed."""
