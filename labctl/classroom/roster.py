"""A class list as spreadsheets export it, read into participants.

What real exports look like, and what is handled here:
- Google Sheets and LibreOffice write UTF-8; Excel's "CSV UTF-8" adds a byte-order mark; Excel's plain "CSV"
  writes the Windows code page (cp1252 in Western Europe and the Americas): all three are read.
- Excel in Spanish (and most European) locales separates with ';' because ',' is the decimal mark: the
  delimiter is sniffed from the header line (',', ';' or tab).
- Headers in English or Spanish, any case, with or without accents: name/nombre (or first + last name,
  nombre + apellidos), email/correo/e-mail/correo electrónico, optional per-participant limits.
Every problem is reported with its line number, all at once, before anything is written.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from facts.token_limits import QUOTA_PERIODS
from labctl.errors import LabctlError
from stacks.config.encrypted import SECRET
from stacks.config.formats import EMAIL_RE, PARTICIPANT_NAME_RE

from .roster_files import Table, choose_delimiter, read_table
from .slugs import suggest_name

# Token-limit keys a participant entry may carry (the gateway's llm-token-limit policy takes these per
# subscription; its periods: facts/token_limits.py).
LIMIT_KEYS = ("tokensPerMinute", "tokenQuota", "tokenQuotaPeriod")

# Normalised header (accents dropped, lowercase, letters and digits only) -> column meaning.
HEADER_ALIASES: dict[str, str] = {
    **dict.fromkeys(
        [
            "name",
            "fullname",
            "displayname",
            "student",
            "studentname",
            "nombrecompleto",
            "alumno",
            "alumna",
            "estudiante",
            "nombreyapellidos",
            "nombreapellidos",
            "apellidosynombre",
            "apellidosnombre",
        ],
        "name",
    ),
    **dict.fromkeys(["nombre", "firstname", "givenname", "first"], "first"),
    **dict.fromkeys(["lastname", "surname", "familyname", "last", "apellido", "apellidos"], "last"),
    **dict.fromkeys(
        [
            "email",
            "emailaddress",
            "mail",
            "correo",
            "correoelectronico",
            "direcciondecorreo",
            "direcciondecorreoelectronico",
            "emailinstitucional",
            "correoinstitucional",
        ],
        "email",
    ),
    **dict.fromkeys(["participant", "participante", "username", "usuario", "slug", "id"], "participant"),
    **dict.fromkeys(["tokensperminute", "tpm", "tokenspermin", "tokensporminuto"], "tokensPerMinute"),
    **dict.fromkeys(["tokenquota", "quota", "cuota", "cuotadetokens", "cuotatokens"], "tokenQuota"),
    **dict.fromkeys(
        ["tokenquotaperiod", "quotaperiod", "periodo", "periododecuota", "periodocuota"], "tokenQuotaPeriod"
    ),
}
# Columns `roster export` writes that an import leaves alone (`labctl participant` sets them).
NOT_IMPORTED = {"state", "estado", "rotation", "rotacion"}
# Spanish spreadsheets say "diario", "mensual"...: the policy takes the English names. One row per period, in
# QUOTA_PERIODS' order (shortest first); the English name in lowercase is an alias too.
_SPANISH_PERIODS = (
    ("porhora", "hora"),
    ("diario", "diaria", "dia"),
    ("semanal", "semana"),
    ("mensual", "mes"),
    ("anual", "ano"),
)
PERIOD_ALIASES: dict[str, str] = {
    alias: period
    for period, spanish in zip(QUOTA_PERIODS, _SPANISH_PERIODS, strict=True)
    for alias in (period.lower(), *spanish)
}


# What `roster export` writes for an e-mail the stack file holds encrypted (`pulumi config set --secret`): offline
# there is no plaintext, and the ciphertext is no use in a spreadsheet. `pulumi config` shows secrets the same way,
# and so do the settings offline (the export writes the settings' value).
ENCRYPTED_EMAIL = SECRET


class RosterError(LabctlError):
    """The class list cannot be used; `problems` has one line per problem, each with its line number (exit 1:
    the command ran and found problems in the file)."""

    def __init__(self, path: Path, problems: list[str], *, hint: str = ""):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path.name}: {len(problems)} problem(s); nothing was written:\n{lines}{hint}")


@dataclass(frozen=True)
class RosterEntry:
    line: int
    display_name: str
    email: str
    participant: str | None = None  # an explicit participant name from the file, when it has that column
    limits: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Roster:
    entries: tuple[RosterEntry, ...]
    columns: tuple[str, ...]  # the meanings found in the header (`name`, `email`, `tokenQuota`, ...)
    encoding: str
    delimiter: str
    warnings: tuple[str, ...] = ()
    # With skip_invalid: the problems of the rows left out (each names its line), for the user to fix later.
    skipped: tuple[str, ...] = ()

    @property
    def limit_columns(self) -> tuple[str, ...]:
        return tuple(k for k in LIMIT_KEYS if k in self.columns)


def normalise_header(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def header_score(header: Sequence[str]) -> tuple[int, ...]:
    """How much a candidate header looks like a class list's: (has an e-mail and a name, columns recognised)."""
    meanings = {HEADER_ALIASES.get(normalise_header(cell)) for cell in header} - {None}
    has_name = bool(meanings & {"name", "first", "participant"})
    return (int("email" in meanings and has_name), len(meanings))


def read_roster(
    path: Path, *, delimiter: str | None = None, encoding: str | None = None, skip_invalid: bool = False
) -> Roster:
    """The class list in `path` (CSV or .xlsx); every problem of the file at once in one RosterError, or, with
    `skip_invalid`, the valid rows and the problems of the others in `Roster.skipped`."""
    table = read_table(path, score=header_score, delimiter=delimiter, encoding=encoding)
    return roster_from_table(table, path, skip_invalid=skip_invalid)


def parse_roster(
    text: str, *, path: Path = Path("roster.csv"), encoding: str = "utf-8", skip_invalid: bool = False
) -> Roster:
    delimiter = choose_delimiter(text, header_score)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = Table([(reader.line_num, row) for row in reader], encoding, delimiter)
    return roster_from_table(table, path, skip_invalid=skip_invalid)


def roster_from_table(table: Table, path: Path, *, skip_invalid: bool = False) -> Roster:
    rows = [(n, row) for n, row in table.rows if any(cell.strip() for cell in row)]
    if not rows:
        raise RosterError(
            path, ["the file is empty. Fix: export the class list with a header row (name, email)"]
        )
    (header_line, header), body = rows[0], rows[1:]
    meanings: list[str | None] = []
    warnings: list[str] = list(table.notes)
    for cell in header:
        meaning = HEADER_ALIASES.get(normalise_header(cell))
        if meaning is None and cell.strip() and normalise_header(cell) not in NOT_IMPORTED:
            warnings.append(f"column '{cell.strip()}' is not used (not a name, e-mail or token limit)")
        if meaning is not None and meaning in meanings:
            warnings.append(f"column '{cell.strip()}' repeats {meaning}: the first one is used")
            meaning = None
        meanings.append(meaning)
    _check_header(path, header, meanings, table.delimiter)

    entries: list[RosterEntry] = []
    problems: list[tuple[set[int], str]] = []  # (the lines it concerns, the message)
    for line, row in body:
        values = {m: row[i].strip() for i, m in enumerate(meanings) if m is not None and i < len(row)}
        row_problems: list[str] = []
        entry = _entry(line, values, row_problems)
        problems += [({line}, p) for p in row_problems]
        if entry is not None:
            entries.append(entry)
    entries, duplicates = _duplicates(entries, warnings)
    problems += duplicates
    if table.unit != "line":
        # A sheet has rows, not lines: "row 3", "rows 2 and 5".
        problems = [(lines, re.sub(r"\bline(s?) ", rf"{table.unit}\1 ", p)) for lines, p in problems]
        warnings = [re.sub(r"\bline(s?) ", rf"{table.unit}\1 ", w) for w in warnings]
    bad = set().union(*(lines for lines, _ in problems)) if problems else set()
    valid = [e for e in entries if e.line not in bad]
    messages = [p for _, p in problems]
    if problems and not skip_invalid:
        raise RosterError(
            path,
            messages,
            hint=f"\n{len(valid)} row(s) are valid: --skip-invalid imports them and lists the others"
            if valid
            else "",
        )
    if not valid:
        raise RosterError(
            path, messages or [f"no participants below the header ({table.unit} {header_line})"]
        )
    found = tuple(m for m in meanings if m is not None)
    return Roster(tuple(valid), found, table.encoding, table.delimiter, tuple(warnings), tuple(messages))


def _check_header(path: Path, header: list[str], meanings: list[str | None], delimiter: str) -> None:
    shown = ", ".join(f"'{h.strip()}'" for h in header)
    problems = []
    if "email" not in meanings:
        problems.append(
            f"no e-mail column in the header ({shown}). Fix: name one column email, e-mail, correo or "
            "correo electrónico"
        )
    if "name" not in meanings and "first" not in meanings and "participant" not in meanings:
        problems.append(
            f"no name column in the header ({shown}). Fix: name one column name or nombre (or first name and "
            "last name, nombre and apellidos)"
        )
    if problems and len(header) == 1 and any(d in header[0] for d in ",;\t|" if d != delimiter):
        problems.append(
            "the header is one column: is the separator something other than ',', ';' or tab? "
            "Fix: pass --delimiter (e.g. --delimiter '|')"
        )
    if problems:
        raise RosterError(path, problems)


def display_name(raw: str) -> str:
    """ "Apellidos, Nombre" (how Spanish universities list students, and "Last, First" elsewhere) as a person is
    addressed: "Álvarez Fernández, José" -> "José Álvarez Fernández". A name with no comma, or several, is kept."""
    text = " ".join(raw.split())
    if text.count(",") == 1:
        last, first = (part.strip() for part in text.split(","))
        if last and first:
            return f"{first} {last}"
    return text


def _entry(line: int, values: Mapping[str, str], problems: list[str]) -> RosterEntry | None:
    before = len(problems)
    name = display_name(
        values.get("name") or " ".join(p for p in (values.get("first"), values.get("last")) if p)
    )
    email = values.get("email", "")
    participant = values.get("participant") or None
    if email == ENCRYPTED_EMAIL and participant is not None:
        pass  # `roster export` of an encrypted (`secure:`) e-mail: matched by the participant's name on import
    elif not email:
        problems.append(f"line {line}: no e-mail for '{name or '?'}'. Fix: fill in the e-mail column")
    elif not EMAIL_RE.fullmatch(email):
        problems.append(f"line {line}: '{email}' is not an e-mail address. Fix: use name@domain")
    if participant is not None and not PARTICIPANT_NAME_RE.fullmatch(participant):
        hint = suggest_name(participant)
        fix = f"use '{hint}'" if hint else "use 1-40 lowercase letters, digits or '-'"
        problems.append(
            f"line {line}: participant name '{participant}' is not valid (it becomes the gateway subscription "
            f"id). Fix: {fix}"
        )
    limits: dict[str, Any] = {}
    for key in ("tokensPerMinute", "tokenQuota"):
        raw = values.get(key)
        if raw:
            number = parse_count(raw)
            if number is None or number <= 0:
                problems.append(f"line {line}: {key} '{raw}' is not a positive whole number. Fix: e.g. 10000")
            else:
                limits[key] = number
    period = values.get("tokenQuotaPeriod")
    if period:
        canonical = PERIOD_ALIASES.get(normalise_header(period))
        if canonical is None:
            problems.append(
                f"line {line}: tokenQuotaPeriod '{period}' is not a period. Fix: use one of {', '.join(QUOTA_PERIODS)}"
            )
        else:
            limits["tokenQuotaPeriod"] = canonical
    if ("tokenQuota" in limits) != ("tokenQuotaPeriod" in limits) and len(problems) == before:
        # The gateway's llm-token-limit takes a quota only with its period (and the settings check the same).
        problems.append(
            f"line {line}: tokenQuota and tokenQuotaPeriod go together. Fix: fill both (e.g. 200000 and Daily) "
            "or neither"
        )
    if len(problems) > before:
        return None
    if email == ENCRYPTED_EMAIL:
        return RosterEntry(line, name, email, participant, limits)
    # Addresses are case-insensitive in practice; the domain is by definition (RFC 5321), so it is lowercased.
    local, domain = email.rsplit("@", 1)
    return RosterEntry(line, name, f"{local}@{domain.lower()}", participant, limits)


def parse_count(raw: str) -> int | None:
    """A whole number as spreadsheets write it: `10000`, `10,000`, `10.000`, `10 000` (thousands separators)."""
    text = raw.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d{1,3}([ .,]\d{3})+", text) and len(set(re.findall(r"[ .,]", text))) == 1:
        return int(re.sub(r"[ .,]", "", text))
    return None


def _duplicates(
    entries: list[RosterEntry], warnings: list[str]
) -> tuple[list[RosterEntry], list[tuple[set[int], str]]]:
    """Two rows with one e-mail address (compared case-insensitively): the same person listed twice is a warning
    (the first row is used); two different people is a problem naming both rows and both people (one of the
    addresses is wrong, and guessing which would hand one student's key to the other)."""
    first_of: dict[str, RosterEntry] = {}
    kept: list[RosterEntry] = []
    problems: list[tuple[set[int], str]] = []
    for entry in entries:
        first = first_of.setdefault(entry.email.lower(), entry)
        if first is entry or entry.email == ENCRYPTED_EMAIL:
            kept.append(entry)
        elif normalise_header(first.display_name) == normalise_header(entry.display_name):
            warnings.append(
                f"line {entry.line}: {entry.display_name or entry.email} <{entry.email}> is already on line "
                f"{first.line}; line {entry.line} skipped"
            )
        else:
            problems.append(
                (
                    {first.line, entry.line},
                    f"lines {first.line} and {entry.line} have the same e-mail {entry.email}: "
                    f"'{first.display_name or '?'}' (line {first.line}) and '{entry.display_name or '?'}' "
                    f"(line {entry.line}). Fix: correct the e-mail of one of them",
                )
            )
    return kept, problems
