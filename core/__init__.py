"""What every layer may import: settings, the engine and sessions, the read pool,
metrics, the failed-authentication limiter. Imports nothing of the project."""
