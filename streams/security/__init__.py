"""The HTTP side of identity: who a request is, what their role allows, and the access log."""
