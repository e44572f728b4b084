"""The web pages members and facilitators use (server-rendered, no script needed)."""
