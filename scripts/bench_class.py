"""Benchmark the class commands (not a test). Targets:
- `labctl roster import` of 1,000 rows (read, plan, write Pulumi.<stack>.yaml): under 2 s
- `labctl handout` for 200 participants (md, owner-only files, plus .env each): under 2 s
- `labctl usage` over 30 participants x 7 days of fixture rows, against the fake Log Analytics endpoint over
  loopback HTTPS with the real LogsQueryClient (query, report, table): under 3 s; the HTML report of the same
  (two queries, a plotly chart per participant): under 5 s
- `participant suspend` then `resume --now` for 30 participants, and `class pause` then `resume --now`, with the
  real ApiManagementClient against the fake Resource Manager over loopback HTTPS: under 10 s each
- `labctl handout --format eml` for 30 participants (Spanish e-mail drafts, text + HTML + .env each): under 2 s (0.43 s measured on the shared 2-core machine, load 4)
- `labctl handout --send` of 30 handouts to a real SMTP server on loopback (aiosmtpd; STARTTLS, AUTH, one
  connection, the state file written and synced after each message): under 5 s (2.6 s measured, load 4)
Each runs the command in-process (typer's CliRunner), from stack choice to output; Python's start-up is not
counted.

    uv run python scripts/bench_class.py [--rows 1000] [--handouts 200] [--participants 30] [--calls-per-day 50] [--mails 30] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.support (the fakes the tests use)

import trustme  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from labctl.cli import app  # noqa: E402
from tests.support.fake_azure import FakeCredential, https_server  # noqa: E402
from tests.support.fake_log_analytics import Call, FakeLogAnalytics  # noqa: E402

FIRST = ["José", "María", "Ana", "Luis", "Carmen", "Jürgen", "Zoë", "Seán", "Núria", "Iñaki"]
LAST = ["Álvarez", "García", "Núñez", "Peña", "O'Brien", "Strauß", "Muñoz", "Fernández", "López", "Díaz"]


def timed(runs: int, fn: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def report(label: str, times: list[float], target: float) -> bool:
    best, median = min(times), statistics.median(times)
    ok = median < target
    print(
        f"{label:<58} median {median:6.3f} s  best {best:6.3f} s  target < {target:.0f} s  {'OK' if ok else 'SLOW'}"
    )
    return ok


def _project(work: Path, participants: int = 0) -> Path:
    """A project folder with Pulumi.yaml and a `bench` stack (the dev stack's config, `participants` of its own)."""
    import yaml

    project = work / "project"
    project.mkdir(exist_ok=True)
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    text = (ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    if participants:
        data = yaml.safe_load(text)
        data["config"]["aoai-lab:participants"] = [
            {"name": f"student{i:03d}", "email": f"s{i}@x.edu", "displayName": f"Student {i}"}
            for i in range(participants)
        ]
        text = yaml.safe_dump(data, sort_keys=False)
    (project / "Pulumi.bench.yaml").write_text(text, encoding="utf-8")
    return project


def _invoke(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output


def bench_roster(work: Path, rows: int, runs: int) -> bool:
    csv_path = work / "class.csv"
    lines = ["Nombre;Apellidos;Correo electrónico;Tokens por minuto"]
    for i in range(rows):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        lines.append(f"{first};{last};student{i:04d}@universidad.es;{1000 + i}")
    csv_path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))

    def once() -> None:
        project = _project(work)  # from the two-participant dev file each time
        _invoke(
            "roster", "import", str(csv_path), "--replace", "--stack", "bench", "--project-dir", str(project)
        )

    return report(f"labctl roster import, {rows:,} rows (;, BOM, accents)", timed(runs, once), 2.0)


def bench_handout(work: Path, count: int, runs: int) -> bool:
    project = _project(work, count)
    outputs = work / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "gatewayRoot": "https://gw.azure-api.net",
                "openaiEnv": {
                    "AZURE_OPENAI_ENDPOINT": "https://gw.azure-api.net",
                    "OPENAI_API_VERSION": "2025-04-01-preview",
                },
                "deployments": {
                    "chat": {"model": "gpt-5-mini"},
                    "embeddings": {"model": "text-embedding-3-small"},
                },
                "participantKeys": {f"student{i:03d}": f"key-{i:04d}-{'x' * 31}" for i in range(count)},
                "expiresOn": "2026-12-18",
            }
        ),
        encoding="utf-8",
    )
    out = work / "handouts"

    def once() -> None:
        _invoke(
            "handout",
            "--out",
            str(out),
            "--outputs",
            str(outputs),
            "--stack",
            "bench",
            "--project-dir",
            str(project),
        )
        assert len(list(out.iterdir())) == 2 * count

    return report(f"labctl handout, {count} participants (md + .env, 0600, atomic)", timed(runs, once), 2.0)


def bench_usage(work: Path, participants: int, calls_per_day: int, runs: int) -> bool:
    from labctl.azure import signin

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    ca = trustme.CA()
    ca_file = work / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    os.environ["REQUESTS_CA_BUNDLE"] = str(ca_file)
    signin.default_credential = lambda environment="public": FakeCredential()  # no sign-in anywhere
    server = https_server(ca)
    server.start()
    try:
        logs = FakeLogAnalytics(server=server).install()
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        rng = random.Random(7)
        calls = []
        for p in range(participants):
            for i in range(7 * calls_per_day):
                when = now - dt.timedelta(minutes=rng.uniform(1, 7 * 24 * 60 - 5))
                status = 429 if i % 25 == 0 else 200
                calls.append(
                    Call(when, f"student{p:03d}", "chat" if i % 4 else "embeddings", "gpt-5-mini-2025-08-07" if i % 4 else "text-embedding-3-small",
                         status=status, backend_status=None if status != 200 else 200,
                         prompt_tokens=rng.randint(50, 2000), completion_tokens=0 if i % 4 == 0 else rng.randint(10, 1500),
                         chunk_row=i % 3 == 0)
                )  # fmt: skip
        logs.add_calls(calls)
        project = _project(work, participants)
        endpoint = server.url_for("/").rstrip("/")
        args = ["usage", "--since", "7d", "--workspace", logs.workspace, "--logs-endpoint", endpoint]
        args += ["--stack", "bench", "--project-dir", str(project)]

        def once() -> None:
            _invoke(*args)

        ok = report(
            f"labctl usage, {participants} participants x 7 days ({len(calls):,} calls) via the fake",
            timed(runs, once),
            3.0,
        )
        html = work / "report.html"

        def once_html() -> None:
            _invoke(*args, "--format", "html", "-o", str(html))

        ok = (
            report(
                f"labctl usage --format html, {participants} x 7 days (2 queries, plotly)",
                timed(runs, once_html),
                5.0,
            )
            and ok
        )
        print(f"{'':<58} report.html: {html.stat().st_size / 1e6:.1f} MB (plotly.js inline)")
    finally:
        server.stop()
    return ok


def bench_now(work: Path, participants: int, runs: int) -> bool:
    """`participant suspend|resume NAME... --now` for the whole class and `class pause|resume --now`, with the real
    ApiManagementClient against the fake Resource Manager over loopback HTTPS (tests/support/fake_arm_gateway.py)."""
    from labctl.azure import signin
    from tests.support.fake_arm_gateway import SUBSCRIPTION, FakeGatewayArm, outputs

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    ca = trustme.CA()
    ca_file = work / "ca-arm.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    os.environ["REQUESTS_CA_BUNDLE"] = str(ca_file)
    os.environ["AZURE_SUBSCRIPTION_ID"] = SUBSCRIPTION
    signin.default_credential = lambda environment="public": FakeCredential()
    server = https_server(ca)
    server.start()
    try:
        names = [f"student{i:03d}" for i in range(participants)]
        arm = FakeGatewayArm(
            server=server, states=dict.fromkeys(names, "active"), named_values={"class-paused": "false"}
        )
        arm.install()
        project = _project(work, participants)
        saved = work / "outputs-arm.json"
        saved.write_text(json.dumps(outputs(arm)), encoding="utf-8")
        where = [
            "--stack",
            "bench",
            "--project-dir",
            str(project),
            "--outputs",
            str(saved),
            "--arm-endpoint",
            arm.base,
        ]

        def both() -> None:
            _invoke("participant", "suspend", *names, "--now", *where)
            _invoke("participant", "resume", *names, "--now", *where)

        ok = report(
            f"participant suspend+resume --now, {participants} participants ({2 * participants} PATCHes)",
            timed(runs, both),
            10.0,
        )
        assert set(arm.states.values()) == {"active"}

        def pause() -> None:
            _invoke("class", "pause", "--now", *where)
            _invoke("class", "resume", "--now", *where)

        ok = report("class pause+resume --now (named value PATCH, polled)", timed(runs, pause), 10.0) and ok
    finally:
        server.stop()
    return ok


def _mail_outputs(work: Path, count: int) -> Path:
    outputs = work / "mail-outputs.json"
    data = {
        "gatewayRoot": "https://gw.azure-api.net",
        "deployments": {"chat": {"model": "gpt-5-mini"}, "embeddings": {"model": "text-embedding-3-small"}},
        "participantKeys": {f"student{i:03d}": f"key-{i:04d}-{'x' * 31}" for i in range(count)},
        "expiresOn": "2026-12-18",
        "stack": "bench",
    }
    outputs.write_text(json.dumps(data), encoding="utf-8")
    return outputs


def bench_eml(work: Path, count: int, runs: int) -> bool:
    project = _project(work, count)
    outputs = _mail_outputs(work, count)
    out = work / "drafts"

    def once() -> None:
        _invoke("handout", "-o", str(out), "-f", "eml", "--outputs", str(outputs), "--stack", "bench",
                "--project-dir", str(project))  # fmt: skip
        assert len(list(out.glob("*.eml"))) == count

    return report(f"labctl handout --format eml, {count} e-mail drafts (es)", timed(runs, once), 2.0)


def bench_send_smtp(work: Path, count: int, runs: int) -> bool:
    from tests.support.fake_smtp import PASSWORD, USER, start

    logging.getLogger("mail.log").setLevel(logging.ERROR)
    ca = trustme.CA()
    ca_file = work / "smtp-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    os.environ["SSL_CERT_FILE"] = str(ca_file)
    os.environ["LABCTL_SMTP_PASSWORD"] = PASSWORD
    project = _project(work, count)
    outputs = _mail_outputs(work, count)
    controller, server = start(ca)
    folders = iter(range(runs))
    try:

        def once() -> None:
            out = work / f"sent-{next(folders)}"  # a new folder each run: the state file would skip everyone
            _invoke("handout", "--send", "-o", str(out), "--outputs", str(outputs), "--stack", "bench",
                    "--project-dir", str(project), "--smtp-host", "localhost", "--smtp-port", str(server.port),
                    "--smtp-user", USER, "--from", USER)  # fmt: skip

        ok = report(
            f"labctl handout --send, {count} e-mails to loopback SMTP (STARTTLS)", timed(runs, once), 5.0
        )
        assert len(server.mailbox.received) == count * runs
    finally:
        controller.stop()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--handouts", type=int, default=200)
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--calls-per-day", type=int, default=50)
    parser.add_argument("--mails", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-class-"))
    try:
        results = [
            bench_roster(work, args.rows, args.runs),
            bench_handout(work, args.handouts, args.runs),
            bench_usage(work, args.participants, args.calls_per_day, args.runs),
            bench_now(work, args.participants, args.runs),
            bench_eml(work, args.mails, args.runs),
            bench_send_smtp(work, args.mails, args.runs),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
