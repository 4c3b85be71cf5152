"""Ringbook's development tools, never a runtime dependency of a service: embedded
nats-server and Postgres from wheels, the whole system on one machine (``LocalSystem``,
``make run``), the events CLI, and the pytest plugin with its fixtures (``testing``)."""
