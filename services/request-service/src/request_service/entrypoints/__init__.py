"""HTTP routes, the CALLS consumer wiring and the process entry point."""
