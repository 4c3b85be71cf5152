"""Ringbook's shared kernel.

Every service imports this package and never another service: services meet only on
NATS subjects (the event contracts in :mod:`ringbook.contracts`) and HTTP contracts.
"""
