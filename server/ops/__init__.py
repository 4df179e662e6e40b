"""Running Podium for real: configuration checks, readiness, metrics, backups."""
