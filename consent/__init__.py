"""consent: honest, auditable telemetry consent for command-line programs."""
