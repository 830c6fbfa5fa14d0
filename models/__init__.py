"""The domain: documents and the rules over them. Never imports Flask."""
