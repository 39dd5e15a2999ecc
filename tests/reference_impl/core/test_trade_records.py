"""Signed trade records (seed 004 §9.2 template, §7.2 price): content, signature, tampering;
checked with the harness's own verifier too, which shares no code with the broker's."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from harness.trade_record_check import content_problems, signature_problems
from reference_impl.core import trade_records as tr
from reference_impl.core.contracts import Contract
from reference_impl.core.products import SettlementRules
from reference_impl.core.rules import MarketRules

AT = datetime(2026, 6, 1, 9, tzinfo=timezone.utc)
CONTRACT = Contract(contract_id="CT-1", product_id="P1", product_type="generation", seller_id="alice",
                    buyer_id="bob", sell_bid_id="S1", buy_bid_id="B1", energy_kwh=3.0,
                    price_per_kwh=Decimal("0.13"), currency="EUR", delivery_start=AT,
                    delivery_end=AT, rules=SettlementRules(), signed_at=AT)


def test_record_carries_the_template_parameters_and_the_seed_price():
    record = tr.contract_record(CONTRACT, Decimal("0.12"), MarketRules(token_price=Decimal("2")))
    assert record == {"trade_id": "CT-1", "buyer": "bob", "generator": "alice", "amount_kwh": "3.0",
                      "transfer_cost_per_kwh": "0.01", "generation_cost_per_kwh": "0.12",
                      "token_price": "2", "trade_price_tokens": "0.00180", "currency": "EUR"}
    assert Decimal(record["trade_price_tokens"]) == Decimal("3") * Decimal("0.01") * Decimal("0.12") / 2


def test_signature_verifies_and_any_change_breaks_it():
    key = Ed25519PrivateKey.generate()
    envelope = tr.sign(tr.contract_record(CONTRACT, Decimal("0.12"), MarketRules()), key)
    public = tr.public_key_text(key)
    assert tr.verify(envelope, public)
    tampered = {**envelope, "record": {**envelope["record"], "amount_kwh": "4.0"}}
    assert not tr.verify(tampered, public)
    assert not tr.verify(envelope, tr.public_key_text(Ed25519PrivateKey.generate()))
    assert not tr.verify({**envelope, "signature": "not base64!"}, public)


def test_the_harness_verifier_agrees_and_names_the_entry():
    key = Ed25519PrivateKey.generate()
    envelope = tr.sign(tr.contract_record(CONTRACT, Decimal("0.12"), MarketRules()), key)
    entries = [{"payload": {"kind": "trade", "record": envelope}}]
    published = {"algorithm": "Ed25519", "public_key": tr.public_key_text(key)}
    contracts = [CONTRACT.to_record()]
    assert signature_problems(entries, published) == []
    assert content_problems(entries, contracts) == []
    forged = dict(envelope, record={**envelope["record"], "trade_price_tokens": "9"})
    bad = [{"payload": {"kind": "trade", "record": forged}}]
    assert signature_problems(bad, published) == ["entry 0: the signature of trade 'CT-1' does not verify"]
    assert content_problems(bad, contracts) == ["entry 0: price 9 is not 3.0 x 0.01 x 0.12 / 1"]
    assert content_problems([], contracts) == ["contract 'CT-1' has no trade record"]


def test_token_price_must_be_positive():
    with pytest.raises(ValueError, match="token_price must be > 0"):
        tr.seed_trade_price(Decimal(1), Decimal(1), Decimal(1), Decimal(0))
