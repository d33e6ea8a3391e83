"""Who may open a connection: security profiles 1-3, passwords, TLS, and flood limits."""
