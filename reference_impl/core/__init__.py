"""Sans-IO market core of the reference broker.

Rules: no sockets, files, SQLite, clocks or randomness in this package. Callers pass `now`
and identifiers in; functions return new immutable values. `tests/reference_impl/core/
test_purity.py` fails if a module here imports an I/O or clock module.
"""
