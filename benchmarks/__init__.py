"""``make bench``: Ringbook's figures beside a baseline measured in the same run.

Timings on shared, noisy machines are only meaningful relative to something measured
under the same conditions, so every figure is printed next to a minimal durable-accept
endpoint served from the same embedded Postgres, and nothing here asserts on a timing.
"""
