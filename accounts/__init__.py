"""People and machines dimos knows: accounts, API tokens, sign-in sessions, the session key."""
