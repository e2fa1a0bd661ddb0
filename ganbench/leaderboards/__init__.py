"""records -> leaderboards: compile evaluation records into reproducible boards (README, CSV, JSON, HTML,
figures) and verify that a committed board still holds."""
