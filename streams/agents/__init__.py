"""Thin Faust agents, one module per concern; each has `register(app, rt)`, which
`streams.app.create_app` calls for the roles that include it (see `ROLE_PARTS` there)."""
