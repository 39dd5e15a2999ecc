"""Steps for signed trade records (MKT-TRADE-RECORD): after a clearing, every trade in the
ledger carries the record of seed 004's smart-contract template, signed by the platform, and
the harness verifies signature and content itself (`harness.trade_record_check`): against the
contracts of a market clearing, or against the instance and answered flows of a trading
network the SUT decided (the `decision` of `harness.steps.optimality`)."""
from __future__ import annotations

from pytest_bdd import then

from .. import measurements as m
from ..errors import HarnessError
from ..sut.trade_records import TradeRecordSUT
from ..trade_record_check import content_problems, flow_record_problems, signature_problems
from .optimality import Decision
from .session import MarketSession, require_ok

SIGNATURES = m.declare("trade_record_signature_failures", unit="count",
                       description="trade records whose Ed25519 signature does not verify with "
                                   "the platform's published key")
FLOW_RECORDS = m.declare("trade_record_flow_errors", unit="count",
                         description="answered flows without exactly one matching trade record "
                                     "in the ledger, and records that misstate their flow, its "
                                     "costs or the seed 004 §7.2 price")
CONTENT = m.declare("trade_record_content_errors", unit="count",
                    description="trade records that disagree with their contract or misstate the "
                                "seed 004 §7.2 trade price")


@then("every trade in the ledger carries a trade record signed by the platform, and each "
      "signature verifies with the platform's published key")
def _(sut, evidence: m.ScenarioEvidence):
    if not isinstance(sut, TradeRecordSUT):
        raise HarnessError("the SUT does not publish a trade signing key (TradeRecordSUT)",
                           code="sut-lacks-capability", field="trade_signing_key")
    key = require_ok(sut.trade_signing_key(), "the trade signing key")
    problems = signature_problems(require_ok(sut.ledger(), "the trade ledger"), key)
    evidence.measure(SIGNATURES, len(problems), m.equals(0), field="/entries",
                     subject="; ".join(problems[:3]))


@then("each trade record states its contract's buyer, generator and amount, its transfer and "
      "generation cost, and the price amount x transfer cost x generation cost / token price")
def _(sut, market: MarketSession, evidence: m.ScenarioEvidence):
    problems = content_problems(require_ok(sut.ledger(), "the trade ledger"), market.contracts())
    evidence.measure(CONTENT, len(problems), m.equals(0), field="/entries",
                     subject="; ".join(problems[:3]))


@then("every flow of the SUT's answer is a trade in the ledger whose record states its generator, "
      "buyer and amount, the arc's transfer cost, the generator's generation cost and the price "
      "amount x transfer cost x generation cost / token price")
def _(sut, decision: Decision, evidence: m.ScenarioEvidence):
    if decision.answer is None:   # refused: nothing to check the records against
        evidence.measure(FLOW_RECORDS, None, m.equals(0), field="/flows",
                         subject="the SUT refused the instance")
        return
    problems = flow_record_problems(require_ok(sut.ledger(), "the trade ledger"), decision.instance,
                                    decision.answer)
    evidence.measure(FLOW_RECORDS, len(problems), m.equals(0), field="/entries",
                     subject="; ".join(problems[:3]))
