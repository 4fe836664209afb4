"""Who is asking: named users and roles, credentials, signed sessions and the sign-in seam."""
