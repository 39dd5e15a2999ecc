"""Notifications the market sends participants: product advertisements (8.2.1), bid results
to every bidder on a product (8.2.1), and contract events to both parties.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from . import parsing as p


@dataclass(frozen=True, kw_only=True)
class Notification:
    notification_id: str
    recipient_id: str
    kind: str            # product-advertised | bid-result | contract-signed | contract-amended | ...
    subject_id: str      # the product, bid or contract it is about
    sent_at: datetime
    body: dict

    def to_record(self) -> dict:
        return {"notification_id": self.notification_id, "recipient_id": self.recipient_id,
                "kind": self.kind, "subject_id": self.subject_id,
                "sent_at": p.fmt_instant(self.sent_at), "body": self.body}


def notify(recipients, kind: str, subject_id: str, now: datetime, body: dict) -> list[Notification]:
    """One notification per recipient; ids derive from content so a retried step makes the
    same ids (the repository ignores duplicates)."""
    stamp = now.strftime("%Y%m%dT%H%M%S")
    return [Notification(notification_id=f"{kind}:{subject_id}:{recipient}:{stamp}",
                         recipient_id=recipient, kind=kind, subject_id=subject_id,
                         sent_at=now, body=body)
            for recipient in sorted(set(recipients))]
