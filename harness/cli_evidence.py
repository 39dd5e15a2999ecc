"""`harness evidence`: create a lab key and verify a signed evidence bundle (harness.evidence).

`harness evidence verify DIR` exits 0 when the bundle in DIR verifies, 1 when it does not (every
problem printed), 2 on usage errors. `harness evidence keygen --out PATH` writes a new Ed25519 lab
key and its public half (`PATH` with `.pub.pem`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import evidence

_EPILOG = """\
examples:
  harness evidence keygen --out lab/lab-key.pem   # then: harness run --lab-key lab/lab-key.pem
  harness evidence verify reports                  # checks signature, artefacts and chain
  harness evidence verify reports --public-key lab/lab-key.pub.pem   # and pins the signer

Every `harness run` seals its report directory: evidence/manifest.json lists each artefact with
its SHA-256, links the previous run's manifest (kept in evidence/chain/) and is signed with the
lab's Ed25519 key (--lab-key, else $HARNESS_LAB_KEY, else ~/.config/energy-harness/lab-key.pem,
created on first use). Without --public-key, verify proves only that the bundle is consistent
with the key it names; pin the lab's published key to prove who signed it.
"""


def add_parser(verbs) -> None:
    parser = verbs.add_parser(
        "evidence", help="create a lab key, or verify the signed evidence bundle of a report directory",
        description="Signed evidence of runs: every artefact's SHA-256 in a manifest, chained across "
                    "runs, signed with the lab's Ed25519 key.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="evidence_action", required=True, metavar="ACTION")
    check = actions.add_parser("verify", help="verify the bundle in a report directory (exit 0 ok, 1 not)")
    check.add_argument("report_dir", type=Path, metavar="DIR")
    check.add_argument("--public-key", type=Path, metavar="PEM",
                       help="the lab's published Ed25519 public key; the signer must be this key")
    keygen = actions.add_parser("keygen", help="write a new Ed25519 lab key (never overwrites)")
    keygen.add_argument("--out", type=Path, required=True, metavar="PATH")


def run(args) -> int:
    if args.evidence_action == "keygen":
        key = evidence.create_key(args.out)
        print(f"lab key written: {args.out} (keep it private); public key: "
              f"{args.out.with_name(args.out.name.removesuffix('.pem') + '.pub.pem')}; "
              f"fingerprint {evidence.fingerprint(key.public_key())}")
        return 0
    pinned = evidence.load_public_key(args.public_key) if args.public_key else None
    result = evidence.verify(args.report_dir, pinned)
    if result.ok:
        print(f"evidence verified: {result.artefacts_checked} artefacts, {result.chain_length} earlier "
              f"manifest(s) in the chain, signer {result.signer_fingerprint}"
              + ("" if pinned else " (not pinned: pass --public-key to prove who signed)"))
        return 0
    print(f"evidence NOT verified in {args.report_dir}: {len(result.problems)} problem(s)", file=sys.stderr)
    for problem in result.problems:
        print(f"  - {problem}", file=sys.stderr)
    return 1


def add_lab_key_option(parser) -> None:
    parser.add_argument("--lab-key", type=Path, default=None, metavar="PEM",
                        help="Ed25519 key that signs the evidence bundle (default: $HARNESS_LAB_KEY, else "
                             "~/.config/energy-harness/lab-key.pem, created on first use)")


def seal_run(report_dir: Path, lab_key_path: Path | None, *, command: str, version: str,
             verdict: str | None) -> None:
    """Seal a finished run's report directory and say where the key came from."""
    key, path, created = evidence.lab_key(lab_key_path)
    if created:
        print(f"harness: created a lab key at {path} (set --lab-key or ${evidence.KEY_ENV} to use "
              "your lab's own)", file=sys.stderr)
    manifest = evidence.seal(report_dir, key, command=command, harness_version=version, verdict=verdict)
    print(f"evidence: {manifest} signed by {evidence.fingerprint(key.public_key())[:16]}…")
