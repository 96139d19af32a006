"""Events: the city hackathon as a whole (event.yaml, its pages, calendar and tracks)."""
