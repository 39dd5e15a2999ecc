"""The bundled reference broker: an energy-sharing and trading platform that passes every
requirement the harness encodes (ITU-T Y.2072 clause 7.5 so far).

`core/` is sans-IO (plain data in, plain data out); `adapters/` holds storage (SQLite) and the
HTTP binding;
`broker.py` wires a clock and a repository around the core.
"""
