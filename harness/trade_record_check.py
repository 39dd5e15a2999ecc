"""Checks of signed trade records (MKT-TRADE-RECORD), written apart from the reference broker:
the harness verifies each Ed25519 signature over the record's canonical JSON (keys sorted, no
spaces, UTF-8) with the key the platform publishes, and recomputes the seed 004 §7.2 price,
amount * transfer cost * generation cost / token price, in exact decimals.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FIELDS = ("trade_id", "buyer", "generator", "amount_kwh", "transfer_cost_per_kwh",
          "generation_cost_per_kwh", "token_price", "trade_price_tokens", "currency")


def _canonical(record: Mapping) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def trade_records(entries: Sequence[Mapping]) -> list[tuple[int, Mapping | None]]:
    """(ledger index, signed envelope or None) for every trade entry."""
    return [(k, (e.get("payload") or {}).get("record")) for k, e in enumerate(entries)
            if (e.get("payload") or {}).get("kind") == "trade"]


def signature_problems(entries: Sequence[Mapping], key: Mapping) -> list[str]:
    """Every trade entry whose record is missing or whose signature does not verify."""
    try:
        if key.get("algorithm") != "Ed25519":
            return [f"the signing key's algorithm is {key.get('algorithm')!r}, not 'Ed25519'"]
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"], validate=True))
    except (KeyError, TypeError, ValueError) as exc:
        return [f"the published key cannot be read: {exc}"]
    problems = []
    for index, envelope in trade_records(entries):
        if not isinstance(envelope, Mapping) or "record" not in envelope:
            problems.append(f"entry {index}: the trade carries no signed record")
            continue
        try:
            public.verify(base64.b64decode(envelope.get("signature", ""), validate=True),
                          _canonical(envelope["record"]))
        except (InvalidSignature, TypeError, ValueError):
            problems.append(f"entry {index}: the signature of trade "
                            f"{envelope['record'].get('trade_id')!r} does not verify")
    return problems


def _figures(index: int, record, problems: list[str]) -> tuple[Decimal, Decimal, Decimal] | None:
    """(amount, transfer cost, generation cost) of one ledger entry's trade record, after the checks
    every record takes: all fields present, numbers decimal, and the seed 004 §7.2 price equal to
    amount * transfer cost * generation cost / token price. Problems are appended; None when the
    record cannot be read any further."""
    if not isinstance(record, Mapping):
        problems.append(f"entry {index}: no trade record")
        return None
    missing = [f for f in FIELDS if f not in record]
    if missing:
        problems.append(f"entry {index}: the record lacks {missing}")
        return None
    try:
        a, tc, gc, tp, price = (Decimal(str(record[f])) for f in (
            "amount_kwh", "transfer_cost_per_kwh", "generation_cost_per_kwh", "token_price",
            "trade_price_tokens"))
    except InvalidOperation:
        problems.append(f"entry {index}: a number in the record is not a decimal")
        return None
    if tp <= 0 or price != a * tc * gc / tp:
        problems.append(f"entry {index}: price {price} is not {a} x {tc} x {gc} / {tp}")
    return a, tc, gc


def content_problems(entries: Sequence[Mapping], contracts: Sequence[Mapping]) -> list[str]:
    """Records that lack a field, disagree with their contract, or misstate the §7.2 price."""
    by_id = {c["contract_id"]: c for c in contracts}
    problems, seen = [], set()
    for index, envelope in trade_records(entries):
        record = envelope.get("record") if isinstance(envelope, Mapping) else None
        if isinstance(record, Mapping) and all(f in record for f in FIELDS):
            seen.add(record["trade_id"])
        read = _figures(index, record, problems)
        if read is None:
            continue
        a, tc, gc = read
        contract = by_id.get(record["trade_id"])
        if contract is None:
            problems.append(f"entry {index}: trade {record['trade_id']!r} is no contract of the clearing")
            continue
        stated = (record["buyer"], record["generator"], a)
        expected = (contract["buyer_id"], contract["seller_id"], Decimal(str(contract["energy_kwh"])))
        if stated != expected:
            problems.append(f"entry {index}: (buyer, generator, amount) {stated} differs from the "
                            f"contract's {expected}")
        if Decimal(str(contract["price"]["amount"])) != gc + tc:
            problems.append(f"entry {index}: generation + transfer cost {gc + tc} is not the contract "
                            f"price {contract['price']['amount']}")
    problems += [f"contract {cid!r} has no trade record" for cid in by_id if cid not in seen]
    return problems


def _same_amount(stated: Decimal, expected: float) -> bool:
    """Equal within 1e-9 relative (a record may state a float's shortest decimal form)."""
    return abs(float(stated) - expected) <= 1e-9 * max(1.0, abs(expected))


def flow_record_problems(entries: Sequence[Mapping], instance: Mapping, answer: Mapping) -> list[str]:
    """Trade records of a cleared trading network (seed 004 §9.2: one per arc with flow), checked
    against the instance the harness sent and the flows the platform answered.

    Each flow of the answer needs exactly one trade record whose generator is the arc's source,
    buyer its target, amount the flow, transfer cost the arc's, generation cost the source's,
    and price amount * transfer cost * generation cost / token price (exact decimals); a
    record of no answered flow is a problem too.

    Returns:
        Sentences naming the ledger entry or the flow; empty when every record is right.
    """
    flows = answer.get("flows") or {}
    answered = {(s, t): float(x) for s, t, x in zip(flows.get("source", []), flows.get("target", []),
                                                      flows.get("energy_kwh", []))
                if isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0}
    arcs = instance["arcs"]
    transfer = {(s, t): float(c) for s, t, c in zip(arcs["source"], arcs["target"],
                                                    arcs["transfer_cost_per_kwh"]) if (s, t) in answered}
    nodes = instance["nodes"]
    generation = dict(zip(nodes["node_id"], nodes["generation_cost_per_kwh"]))
    problems, seen = [], set()
    for index, envelope in trade_records(entries):
        record = envelope.get("record") if isinstance(envelope, Mapping) else None
        read = _figures(index, record, problems)
        if read is None:
            continue
        a, tc, gc = read
        pair = (record["generator"], record["buyer"])
        if pair not in answered:
            problems.append(f"entry {index}: trade {record['trade_id']!r} ({pair[0]} -> {pair[1]}) "
                            "is no flow of the answer")
            continue
        if pair not in transfer:
            problems.append(f"entry {index}: {pair[0]} -> {pair[1]} is no arc of the instance")
            continue
        if pair in seen:
            problems.append(f"entry {index}: flow {pair[0]} -> {pair[1]} is recorded twice")
        seen.add(pair)
        expected = (answered[pair], transfer[pair], float(generation[pair[0]]))
        for name, stated, value in zip(("amount_kwh", "transfer_cost_per_kwh", "generation_cost_per_kwh"),
                                       (a, tc, gc), expected):
            if not _same_amount(stated, value):
                problems.append(f"entry {index}: {name} {stated} of {pair[0]} -> {pair[1]} is not "
                                f"the {value!r} of the {'answer' if name == 'amount_kwh' else 'instance'}")
    problems += [f"flow {s} -> {t} of {x!r} kWh has no trade record in the ledger"
                 for (s, t), x in sorted(answered.items()) if (s, t) not in seen]
    return problems
