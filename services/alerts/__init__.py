"""Paging: routing by rota, escalation plans, silences, inhibition, grouping; channel adapters."""
