"""The broker's data repository on SQLite (Y.2072 9.5): energy market information (products,
bids, contracts, clearing results, the trade ledger), energy resource information (resources),
and metering and customer information (participants, meter readings, deliveries, settlements,
notifications), and demand response (OpenADR VEN registrations, DR events, which event version
each VEN was sent, opt responses, report registrations, and a log of every metering report a
VEN sent with its outcome; the readings themselves go to ``readings`` like all meter data).

Rules: one file, WAL mode, foreign keys on. Every broker operation runs inside `transaction()`
(BEGIN IMMEDIATE ... COMMIT), so a refused or failed request leaves nothing stored half-way.
Records are the core's `to_record()` dicts, kept as JSON beside the columns queries filter on.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# table -> (key column, extra indexed columns)
_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "participants": ("participant_id", ()),
    "resources": ("resource_id", ("owner_id", "meter_id")),
    "products": ("product_id", ("owner_id",)),
    "bids": ("bid_id", ("product_id",)),
    "contracts": ("contract_id", ("product_id",)),
    "clearings": ("clearing_id", ("product_id",)),
    "deliveries": ("contract_id", ()),
    "settlements": ("contract_id", ()),
    "notifications": ("notification_id", ("recipient_id",)),
    "ven_registrations": ("registration_id", ("ven_id", "ven_name")),
    "dr_events": ("event_id", ()),
    "dr_deliveries": ("delivery_key", ("ven_id", "event_id")),
    "dr_opts": ("opt_key", ("event_id", "ven_id")),
    "dr_report_registrations": ("report_key", ("ven_id",)),
    "dr_report_log": ("log_id", ("ven_id",)),
    "idempotency": ("request_key", ()),
    "ven_certificates": ("ven_id", ()),
    "request_nonces": ("nonce_key", ()),  # request_signing.py: spent nonces of signed requests  # adapters/ven_identity.py: venID -> client certificate  # adapters/idempotency.py: stored answers to retried POSTs
    # customer, distribution, operation and service-provider domains (domain_service.py)
    "sites": ("site_id", ("line_id",)),
    "lines": ("line_id", ()),
    "domain_meters": ("meter_id", ("site_id",)),
    "collections": ("collection_id", ("site_id",)),
    "quality_log": ("observation_id", ("site_id",)),
    "weather": ("observation_key", ("site_id",)),
    "enrolments": ("enrolment_id", ("aggregator_id",)),
    "resource_groups": ("group_id", ("aggregator_id",)),
    "market_events": ("event_id", ("group_id",)),
    "dr_outbox": ("outbox_id", ("ven_id",)),
    # retail billing (reference_impl/billing_service.py)
    "tariffs": ("tariff_id", ()),
    "supplies": ("supply_point_id", ("customer_id",)),
    "bills": ("bill_id", ("supply_point_id",)),
}


class SqliteRepository:
    """Args:
        path: database file, created if missing; ``":memory:"`` for a throwaway store.
    """

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._create_schema()

    def _create_schema(self) -> None:
        with self.transaction():
            for table, (key, extra) in _TABLES.items():
                columns = "".join(f", {c} TEXT" for c in extra)
                self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} "
                                 f"({key} TEXT PRIMARY KEY{columns}, record TEXT NOT NULL)")
                for column in extra:
                    self._db.execute(f"CREATE INDEX IF NOT EXISTS {table}_{column} ON {table}({column})")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS readings (meter_id TEXT NOT NULL, interval_start TEXT NOT NULL,"
                " direction TEXT NOT NULL, record TEXT NOT NULL,"
                " PRIMARY KEY (meter_id, interval_start, direction))")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS ledger (seq INTEGER PRIMARY KEY, entry_hash TEXT NOT NULL UNIQUE,"
                " record TEXT NOT NULL)")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all."""
        if self._db.in_transaction:  # nested use joins the outer transaction
            yield
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def put(self, table: str, record: dict) -> None:
        key, extra = _TABLES[table]
        columns = (key, *extra, "record")
        values = (record[key], *(record.get(c) for c in extra), json.dumps(record, sort_keys=True))
        marks = ", ".join("?" for _ in columns)
        self._db.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)

    def get(self, table: str, key_value: str) -> dict | None:
        key, _ = _TABLES[table]
        row = self._db.execute(f"SELECT record FROM {table} WHERE {key} = ?", (key_value,)).fetchone()
        return json.loads(row[0]) if row else None

    def find(self, table: str, **where: str) -> list[dict]:
        key, extra = _TABLES[table]
        for column in where:
            if column not in extra:
                raise ValueError(f"{table} has no indexed column {column!r}")
        clause = " AND ".join(f"{c} = ?" for c in where) or "1 = 1"
        rows = self._db.execute(f"SELECT record FROM {table} WHERE {clause} ORDER BY rowid",
                                tuple(where.values()))
        return [json.loads(r[0]) for r in rows]

    def find_text(self, table: str) -> list[str]:
        """Every record of ``table`` as its stored JSON text, in insertion order (for a caller
        that keeps what it decoded by that text: equal text, equal record)."""
        _TABLES[table]  # KeyError for a table that does not exist
        return [r[0] for r in self._db.execute(f"SELECT record FROM {table} ORDER BY rowid")]

    def reading(self, meter_id: str, interval_start: str, direction: str) -> dict | None:
        row = self._db.execute("SELECT record FROM readings WHERE meter_id = ? AND interval_start = ?"
                               " AND direction = ?", (meter_id, interval_start, direction)).fetchone()
        return json.loads(row[0]) if row else None

    def put_reading(self, record: dict) -> None:
        self._db.execute("INSERT OR REPLACE INTO readings VALUES (?, ?, ?, ?)",
                         (record["meter_id"], record["interval_start"], record["direction"],
                          json.dumps(record, sort_keys=True)))

    def readings(self, meter_ids: list[str]) -> list[dict]:
        marks = ", ".join("?" for _ in meter_ids)
        rows = self._db.execute(f"SELECT record FROM readings WHERE meter_id IN ({marks})"
                                " ORDER BY meter_id, interval_start", tuple(meter_ids))
        return [json.loads(r[0]) for r in rows]

    def readings_around(self, meter_id: str, direction: str, start: str, end: str) -> list[dict]:
        """The meter's ``direction`` readings starting in [``start``, ``end``), and the last one
        starting before ``start``: all a new reading inside that span can overlap, since held
        intervals of one direction never overlap. ``start``/``end`` are UTC ISO-8601 as the
        records hold them (``+00:00``), which sort as text in time order."""
        before = self._db.execute(
            "SELECT record FROM readings WHERE meter_id = ? AND interval_start < ? AND direction = ?"
            " ORDER BY interval_start DESC LIMIT 1", (meter_id, start, direction)).fetchall()
        inside = self._db.execute(
            "SELECT record FROM readings WHERE meter_id = ? AND interval_start >= ? AND interval_start < ?"
            " AND direction = ? ORDER BY interval_start", (meter_id, start, end, direction)).fetchall()
        return [json.loads(r[0]) for r in before + inside]

    def append_ledger(self, record: dict) -> None:
        self._db.execute("INSERT INTO ledger VALUES (?, ?, ?)",
                         (record["seq"], record["entry_hash"], json.dumps(record, sort_keys=True)))

    def ledger_tail(self) -> dict | None:
        row = self._db.execute("SELECT record FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row else None

    def ledger(self) -> list[dict]:
        return [json.loads(r[0]) for r in self._db.execute("SELECT record FROM ledger ORDER BY seq")]

    def close(self) -> None:
        self._db.close()
