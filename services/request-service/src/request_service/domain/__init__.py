"""The pure core of request-service: values and rules, no I/O, no framework."""
