"""`--sut reference+https` (what `make run` uses): the bundled broker is served by `harness
serve --pki` in its own process and tested only over the wire, so the clause-10 features that
need party certificates and the server's own log are judged, and the server is stopped after
the run."""
from __future__ import annotations

import os
import re

WIRE_ONLY = ("SEC-AUTHN", "SEC-ISOLATION-WRITE", "SEC-REPLAY", "SEC-LOG-PRIVACY")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:   # a zombie is not serving
        return stat.read().split(") ", 1)[1][0] != "Z"


def test_the_served_broker_passes_the_wire_only_requirements_and_is_stopped(harness_cli):
    run = harness_cli("run", "--sut", "reference+https", *[arg for rid in WIRE_ONLY for arg in ("-r", rid)])
    verdicts = run.verdicts()
    assert {rid: verdicts[rid] for rid in WIRE_ONLY} == dict.fromkeys(WIRE_ONLY, "pass"), run.output
    work = run.report_dir / "sut-work"
    log = (work / "broker.log").read_text()
    assert "harness serve: stopped" in log          # SIGTERM at the end of the run, a clean stop
    assert re.search(r"^GET /products 401 ", log, re.M)    # the unauthenticated attempt, refused on the wire
    sut = run.record["sut"]
    pid = int(re.search(r"pid (\d+)", sut["name"]).group(1))
    assert not _alive(pid)
    assert sut["adapter"] == "http+tls-client-cert" and sut["endpoint"].startswith("https://127.0.0.1:")

