"""The coordinator's worklist: its read model, its page, and the care-done-elsewhere event."""
