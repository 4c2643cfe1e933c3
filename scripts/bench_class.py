"""Benchmark the class commands (not a test). Targets:
- roster import of 1,000 rows (read, plan, write Pulumi.<stack>.yaml): under 2 s
- handouts for 200 participants (md, owner-only files, plus .env each): under 2 s
- usage over 30 participants x 7 days of fixture rows, against the fake Log Analytics endpoint over loopback
  HTTPS with the real LogsQueryClient (query, report, table): under 3 s

    uv run python scripts/bench_class.py [--rows 1000] [--handouts 200] [--participants 30] [--calls-per-day 50] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
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
from rich.console import Console  # noqa: E402

from labctl.azure.transport import shared_tls_transport  # noqa: E402
from labctl.classroom.classfile import StackDocument  # noqa: E402
from labctl.classroom.enroll import apply_enrollment, plan_enrollment  # noqa: E402
from labctl.classroom.handout import Limits, class_info, students_from, write_handouts  # noqa: E402
from labctl.classroom.roster import read_roster  # noqa: E402
from labctl.classroom.usage import build_report, run_usage_query  # noqa: E402
from labctl.classroom.usage_render import render_table  # noqa: E402
from stacks.facts.prices import load_prices  # noqa: E402
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


def bench_roster(work: Path, rows: int, runs: int) -> bool:
    csv_path = work / "class.csv"
    lines = ["Nombre;Apellidos;Correo electrónico;Tokens por minuto"]
    for i in range(rows):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        lines.append(f"{first};{last};student{i:04d}@universidad.es;{1000 + i}")
    csv_path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    template = (ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    stack = work / "Pulumi.bench.yaml"

    def once() -> None:
        stack.write_text(template, encoding="utf-8")  # from the two-participant dev file each time
        doc = StackDocument(stack, "aoai-lab")
        plan = plan_enrollment(read_roster(csv_path), doc.participants(), replace=True)
        assert len(plan.added) == rows and apply_enrollment(doc, plan)

    return report(f"roster import, {rows:,} rows (;, BOM, accents) into the stack", timed(runs, once), 2.0)


def bench_handout(work: Path, count: int, runs: int) -> bool:
    participants = [
        {"name": f"student{i:03d}", "email": f"s{i}@x.edu", "displayName": f"Student {i}"}
        for i in range(count)
    ]
    outputs = {
        "openaiEnv": {
            "AZURE_OPENAI_ENDPOINT": "https://gw.azure-api.net",
            "OPENAI_API_VERSION": "2024-10-21",
        },
        "deployments": {"chat": {"model": "gpt-5-mini"}, "embeddings": {"model": "text-embedding-3-small"}},
        "participantKeys": {p["name"]: f"key-{i:04d}-{'x' * 28}" for i, p in enumerate(participants)},
        "expiresOn": "2026-12-18",
    }
    out = work / "handouts"

    def once() -> None:
        info = class_info(outputs)
        students, missing = students_from(
            participants, outputs["participantKeys"], Limits(2000, 100000, "Daily")
        )
        assert not missing
        written = write_handouts(out, info, students, "md")
        assert len(written) == 2 * count

    return report(f"handout, {count} participants (md + .env, 0600, atomic)", timed(runs, once), 2.0)


def bench_usage(work: Path, participants: int, calls_per_day: int, runs: int) -> bool:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    ca = trustme.CA()
    ca_file = work / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    os.environ["REQUESTS_CA_BUNDLE"] = str(ca_file)
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
                    Call(when, f"student{p:02d}", "chat" if i % 4 else "embeddings", "gpt-5-mini-2025-08-07" if i % 4 else "text-embedding-3-small",
                         status=status, backend_status=None if status != 200 else 200,
                         prompt_tokens=rng.randint(50, 2000), completion_tokens=0 if i % 4 == 0 else rng.randint(10, 1500),
                         chunk_row=i % 3 == 0)
                )  # fmt: skip
        logs.add_calls(calls)
        roster = [
            {
                "name": f"student{p:02d}",
                "email": f"s{p}@x.edu",
                "limits": {"tokenQuota": 500_000, "tokenQuotaPeriod": "Weekly"},
            }
            for p in range(participants)
        ]
        prices = load_prices()
        endpoint = server.url_for("/").rstrip("/")
        with shared_tls_transport() as transport:

            def once() -> None:
                end = dt.datetime.now(dt.UTC)
                start = end - dt.timedelta(days=7)
                answer = run_usage_query(
                    logs.workspace,
                    start,
                    end,
                    credential=FakeCredential(),
                    endpoint=endpoint,
                    deadline_s=30,
                    transport=transport,
                )
                result = build_report(answer, roster, prices, start, end)
                assert len(result.participants) == participants and answer.partial is None
                render_table(result, Console(file=io.StringIO(), width=160))

            ok = report(
                f"usage, {participants} participants x 7 days ({len(calls):,} calls) via the fake",
                timed(runs, once),
                3.0,
            )
    finally:
        server.stop()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--handouts", type=int, default=200)
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--calls-per-day", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-class-"))
    try:
        results = [
            bench_roster(work, args.rows, args.runs),
            bench_handout(work, args.handouts, args.runs),
            bench_usage(work, args.participants, args.calls_per_day, args.runs),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
