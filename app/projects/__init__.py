"""Project tracks: projects teams hand in, their gallery, reviews and people's choice."""
