"""`harness pki init DIR --party ...` (a test CA and party certificates, harness/pki.py) and the
choice `harness serve` makes between TLS client authentication (``--pki DIR``) and the
insecure test mode (no ``--pki``: allowed only with ``--test-mode`` on loopback)."""
from __future__ import annotations

import argparse
from pathlib import Path

from .errors import HarnessError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_parser(verbs) -> None:
    pki = verbs.add_parser("pki", help="create test certificates for authenticated runs",
                           description="Test public-key infrastructure for local runs (never outside a lab).")
    actions = pki.add_subparsers(dest="pki_action", required=True, metavar="ACTION")
    init = actions.add_parser(
        "init", help="create a CA, a server certificate and one client certificate per party",
        description="Create DIR/ca.pem, DIR/server.pem and .key, DIR/operator.pem and .key (the harness's "
                    "own identity, role operator) and DIR/<party>.pem and .key for each --party (role party).\n"
                    "Then: harness serve --test-mode --pki DIR & harness run --sut https://127.0.0.1:8080 "
                    "--credentials DIR",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    init.add_argument("directory", type=Path, metavar="DIR")
    init.add_argument("--party", action="append", default=None, metavar="ID",
                      help="a participant id to certify (repeat; default: alice, bob and carol, the parties the "
                           "security features act as)")
    init.add_argument("--host", action="append", default=[], metavar="NAME|IP",
                      help="another name or address for the server certificate (besides localhost, "
                           "127.0.0.1, ::1)")


def run(args) -> int:
    from . import pki
    parties = tuple(args.party) if args.party else pki.DEFAULT_PARTIES
    written = pki.init(args.directory, parties, hosts=tuple(args.host))
    print(f"harness pki: {len(written)} files in {args.directory} (CA, server, operator, "
          f"{', '.join(parties)}); private keys are mode 0600, for tests only")
    return 0


def serve_tls(args):
    """The TLS settings `harness serve` runs with, or None for the insecure test mode.

    Raises:
        HarnessError: ``--pki`` names an incomplete folder, or there is no ``--pki`` and the
            broker is not in test mode on loopback.
    """
    from reference_impl.adapters.tls_auth import TlsSettings
    if args.pki is not None:
        try:
            return TlsSettings.from_dir(args.pki)
        except FileNotFoundError as exc:
            raise HarnessError(f"cannot serve the broker with --pki {args.pki}: {exc}", code="serve-failed",
                               field="--pki", actual=str(args.pki)) from exc
    if args.host not in LOOPBACK or not (args.test_mode or getattr(args, "insecure_loopback", False)):
        raise HarnessError("cannot serve the broker without authentication: give --pki DIR (see "
                           "`harness pki init`), or, on loopback only, --test-mode (certification runs) or "
                           "--insecure-loopback (system clock, e.g. load runs)",
                           code="serve-insecure", field="--pki",
                           actual=f"--host {args.host}, test mode {'on' if args.test_mode else 'off'}")
    return None
