"""The notify shell: cordwatch.alerts -> services.alerts delivery, in its own consumer group."""
