"""The HTTP API and the dashboard: routers, their dependencies and the services they share."""
