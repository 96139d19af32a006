"""Queue glue: the database holds every submission; Redis carries the ones being worked on."""
