"""Generated broken inputs for the fuzz-style tests: stack files a person could plausibly write, and ARM answers a
network could plausibly return. Seeded, so a failing case is reproducible by its name.

Every stack-file case starts from a real stack file and applies one or two mutations a person makes: a tab, a
shifted line, a duplicated line, a wrong namespace, a truncated file, a value of the wrong type or length, an
encrypted value, an alias bomb. `expect_named` is a word the error must contain (a key, or "line N"), when the
mutation makes the file invalid for certain.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StackCase:
    name: str
    text: str
    # A word the answer must contain when the file is invalid: a key or "line N". None: the file may be valid.
    expect_named: str | None


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _content_lines(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]


class _NoTarget(Exception):
    """The mutation finds nothing to change in this file (an earlier mutation removed it)."""


def _choice(rng: random.Random, candidates: list[int]) -> int:
    if not candidates:
        raise _NoTarget
    return rng.choice(candidates)


def _tab(rng: random.Random, lines: list[str]) -> tuple[list[str], str | None]:
    i = _choice(rng, [i for i in _content_lines(lines) if lines[i].startswith("  ")])
    lines[i] = "\t" + lines[i].lstrip(" ")
    return lines, f"line {i + 1}"


def _shift(rng: random.Random, lines: list[str]) -> tuple[list[str], str | None]:
    i = _choice(rng, [i for i in _content_lines(lines) if lines[i].startswith("  ") and i > 1])
    lines[i] = " " * rng.choice([1, 3, 5]) + lines[i].lstrip(" ")
    return lines, None  # some shifts stay valid YAML (a deeper list item); the answer must still be clean


def _duplicate_key(rng: random.Random, lines: list[str]) -> tuple[list[str], str | None]:
    candidates = [i for i in _content_lines(lines) if re.match(r"^  [a-z-]+:[A-Za-z]+: \S", lines[i])]
    i = _choice(rng, candidates)
    key = lines[i].split(": ", 1)[0].strip()
    lines.insert(i + 1, lines[i])
    return lines, key


def _namespace(rng: random.Random, lines: list[str]) -> tuple[list[str], str | None]:
    candidates = [i for i in _content_lines(lines) if lines[i].startswith("  aoai-lab:")]
    i = _choice(rng, candidates)
    wrong = rng.choice(["aoai_lab", "aoailab", "AOAI-LAB", "aoai-labs"])
    lines[i] = lines[i].replace("aoai-lab:", f"{wrong}:", 1)
    return lines, wrong


def _truncate(rng: random.Random, lines: list[str]) -> tuple[list[str], str | None]:
    text = "".join(lines)
    cut = rng.randrange(len(text) // 3, len(text))
    return _lines(text[:cut] + rng.choice(['"', "[", "{", "- ", ": ", "'"])), None


def _control(rng: random.Random, lines: list[str]) -> tuple[list[str], str | None]:
    i = _choice(rng, _content_lines(lines))
    pos = rng.randrange(len(lines[i].rstrip("\n")) + 1)
    lines[i] = lines[i][:pos] + rng.choice(["\x00", "\x07", "\x1b", "\ufeff", "\x85"]) + lines[i][pos:]
    return lines, None


def _wrong_type(rng: random.Random, lines: list[str]) -> tuple[list[str], str | None]:
    key = rng.choice(
        ["owner", "expiresOn", "gatewayTier", "logRetentionDays", "regions", "deployments", "participants"]
    )
    replacement = rng.choice(
        ["[1, 2]", "{a: b}", "-5", "''", "null", "true", "x" * 300, "[[[]]]", "{secure: 12}"]
    )
    out = [line for line in lines]
    for i, line in enumerate(out):
        if line.startswith(f"  aoai-lab:{key}:"):
            # Drop the key's own block (indented lines below it), then write the new value.
            j = i + 1
            while j < len(out) and (out[j].startswith("    ") or not out[j].strip()):
                j += 1
            out[i:j] = [f"  aoai-lab:{key}: {replacement}\n"]
            return out, None
    out.append(f"  aoai-lab:{key}: {replacement}\n")
    return out, None


def _drop_key(rng: random.Random, lines: list[str]) -> tuple[list[str], str | None]:
    key = rng.choice(["owner", "expiresOn", "regions", "deployments"])
    out: list[str] = []
    skipping = False
    for line in lines:
        if line.startswith(f"  aoai-lab:{key}:"):
            skipping = True
            continue
        if skipping and (line.startswith("    ") or not line.strip()):
            continue
        skipping = False
        out.append(line)
    return out, f"aoai-lab:{key}"


def _long_value(rng: random.Random, lines: list[str]) -> tuple[list[str], str | None]:
    key, length = rng.choice([("labName", 300), ("publisherName", 101)])
    lines.append(f"  aoai-lab:{key}: {'a' * length}\n")
    return lines, f"aoai-lab:{key}"


def _secret(rng: random.Random, lines: list[str]) -> tuple[list[str], str | None]:
    for i, line in enumerate(lines):
        if line.startswith("  aoai-lab:owner:"):
            lines[i] = "  aoai-lab:owner:\n    secure: v1:AAABAKxq0sFJbWFyaWE=\n"
    return lines, "aoai-lab:owner"  # refused: the owner tag would show it in clear


def _bomb(rng: random.Random, lines: list[str]) -> tuple[list[str], str | None]:
    levels = rng.choice([6, 8, 10])
    bomb = ["  aoai-lab:extra:\n", '    l0: &l0 ["x","x","x","x","x","x","x","x","x","x"]\n']
    for n in range(1, levels):
        bomb.append(f"    l{n}: &l{n} [" + ",".join([f"*l{n - 1}"] * 10) + "]\n")
    return [*lines, *bomb], "alias"


def _top_level(rng: random.Random, lines: list[str]) -> tuple[list[str], str | None]:
    return _lines(
        rng.choice(["- config\n", "config:\n  - a\n", "just words\n", "config: 3\n", "[]\n"])
    ), "line"


MUTATIONS: dict[str, Callable[[random.Random, list[str]], tuple[list[str], str | None]]] = {
    "tab": _tab,
    "shift": _shift,
    "duplicate": _duplicate_key,
    "namespace": _namespace,
    "truncate": _truncate,
    "control": _control,
    "wrong-type": _wrong_type,
    "drop-key": _drop_key,
    "long-value": _long_value,
    "secret": _secret,
    "bomb": _bomb,
    "top-level": _top_level,
}


def stack_cases(base: str, *, count: int, seed: int = 20261201) -> Iterator[StackCase]:
    """`count` mutated stack files, every mutation kind at least once, then random pairs."""
    rng = random.Random(seed)
    kinds = list(MUTATIONS)
    for n in range(count):
        chosen = [kinds[n]] if n < len(kinds) else rng.sample(kinds, 2)
        lines = _lines(base)
        named: str | None = None
        for kind in chosen:
            try:
                lines, word = MUTATIONS[kind](rng, lines)
            except _NoTarget:
                word = None
            named = named if len(chosen) > 1 else word
        yield StackCase(name=f"{n:03d}-{'+'.join(chosen)}", text="".join(lines), expect_named=named)


# ---- ARM answers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArmCase:
    name: str
    status: int
    body: str
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def _usage_list(rng: random.Random) -> dict[str, Any]:
    return {
        "value": [
            {
                "name": {"value": f"OpenAI.GlobalStandard.model-{i}", "localizedValue": "x"},
                "currentValue": rng.randrange(0, 100),
                "limit": rng.randrange(100, 1000),
                "unit": "Count",
            }
            for i in range(rng.randrange(1, 4))
        ]
    }


_JUNK: tuple[Any, ...] = ("NaN", None, [], {}, -1, 1e309, "", "x" * 500, True, 3.5, {"value": 1})


def arm_cases(*, count: int, seed: int = 20261201) -> Iterator[ArmCase]:
    """Broken answers to a usages list: wrong types in random fields, wrong shapes, non-JSON, throttling."""
    rng = random.Random(seed)
    fixed = [
        ArmCase("html-login", 200, "<html><head><title>Sign in</title></head></html>", "text/html"),
        ArmCase("plain-text", 200, "OK", "text/plain"),
        ArmCase("truncated", 200, '{"value": [{"name": '),
        ArmCase("bare-nan", 200, '{"value": [{"name": {"value": "a"}, "currentValue": 0, "limit": NaN}]}'),
        ArmCase("list-body", 200, "[]"),
        ArmCase(
            "throttled-hour",
            429,
            '{"error": {"code": "TooManyRequests", "message": "slow down"}}',
            headers=(("Retry-After", "3600"),),
        ),
        ArmCase("html-500", 500, "<html>gateway error</html>", "text/html"),
        ArmCase("empty-200", 200, ""),
    ]
    yield from fixed[:count]
    for n in range(max(0, count - len(fixed))):
        body = _usage_list(rng)
        item = rng.choice(body["value"])
        path = rng.choice(["currentValue", "limit", "name", "name.value"])
        junk = rng.choice(_JUNK)
        if path == "name.value":
            item["name"]["value"] = junk
        else:
            item[path] = junk
        text = json.dumps(body, allow_nan=True)
        yield ArmCase(f"{n:03d}-{path}={json.dumps(junk, allow_nan=True)[:20]}", 200, text)
