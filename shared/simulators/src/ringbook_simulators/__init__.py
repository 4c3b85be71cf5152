"""Simulators of third-party systems Ringbook talks to.

Everything under this package is a SIMULATOR: it plays an external party (e.g. the
telephone carrier) well enough to exercise our real adapters end to end, without
accounts, credentials or network access. Nothing here is used in production paths.
"""
