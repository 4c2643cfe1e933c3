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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labctl.errors import LabctlError
from labctl.errors import UsageError as BadArgument
from stacks.config.values import EMAIL_RE, PARTICIPANT_NAME_RE

from .slugs import suggest_name

# Token-limit keys a participant entry may carry (the gateway's llm-token-limit policy takes these per
# subscription; learn.microsoft.com/azure/api-management/llm-token-limit-policy).
QUOTA_PERIODS = ("Hourly", "Daily", "Weekly", "Monthly", "Yearly")
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
# Spanish spreadsheets say "diario", "mensual"...: the policy takes the English names.
PERIOD_ALIASES = {
    "hourly": "Hourly", "porhora": "Hourly", "hora": "Hourly",
    "daily": "Daily", "diario": "Daily", "diaria": "Daily", "dia": "Daily",
    "weekly": "Weekly", "semanal": "Weekly", "semana": "Weekly",
    "monthly": "Monthly", "mensual": "Monthly", "mes": "Monthly",
    "yearly": "Yearly", "anual": "Yearly", "ano": "Yearly",
}  # fmt: skip


# What `roster export` writes for an e-mail the stack file holds encrypted (`pulumi config set --secret`): offline
# there is no plaintext, and the ciphertext is no use in a spreadsheet. `pulumi config` shows secrets the same way.
ENCRYPTED_EMAIL = "[secret]"


class RosterError(LabctlError):
    """The class list cannot be used; `problems` has one line per problem, each with its line number (exit 1:
    the command ran and found problems in the file)."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path.name}: {len(problems)} problem(s); nothing was written:\n{lines}")


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

    @property
    def limit_columns(self) -> tuple[str, ...]:
        return tuple(k for k in LIMIT_KEYS if k in self.columns)


def normalise_header(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name): UTF-8 with or without a BOM, UTF-16 with a BOM (Excel's "Unicode Text", tab-separated,
    and PowerShell 5.1's `>`), else Windows-1252 (what Excel's plain CSV writes)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: read it as Windows-1252 below, the header check will say what is wrong
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(text: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return csv.Sniffer().sniff(header, delimiters=",;\t").delimiter
    except csv.Error:
        counts = {d: header.count(d) for d in (",", ";", "\t")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_roster(path: Path) -> Roster:
    try:
        data = path.read_bytes()
    except FileNotFoundError:  # a wrong argument, like a missing --outputs or --snapshot file: exit 2
        raise BadArgument(f"{path} not found. Fix: export the class list as CSV and pass its path") from None
    except OSError as exc:  # a folder, no permission
        raise BadArgument(
            f"{path} cannot be read: {exc.strerror or exc}. Fix: pass the class list's CSV file"
        ) from None
    text, encoding = decode(data)
    return parse_roster(text, path=path, encoding=encoding)


def parse_roster(text: str, *, path: Path = Path("roster.csv"), encoding: str = "utf-8") -> Roster:
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    header_line = 0
    for row in reader:
        if any(cell.strip() for cell in row):
            header, header_line = row, reader.line_num
            break
    if header is None:
        raise RosterError(
            path, ["the file is empty. Fix: export the class list with a header row (name, email)"]
        )

    meanings: list[str | None] = []
    warnings: list[str] = []
    for cell in header:
        meaning = HEADER_ALIASES.get(normalise_header(cell))
        if meaning is None and cell.strip() and normalise_header(cell) not in NOT_IMPORTED:
            warnings.append(f"column '{cell.strip()}' is not used (not a name, e-mail or token limit)")
        if meaning is not None and meaning in meanings:
            warnings.append(f"column '{cell.strip()}' repeats {meaning}: the first one is used")
            meaning = None
        meanings.append(meaning)
    _check_header(path, header, meanings, delimiter)

    entries: list[RosterEntry] = []
    problems: list[str] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        values = {m: row[i].strip() for i, m in enumerate(meanings) if m is not None and i < len(row)}
        entry = _entry(line, values, problems)
        if entry is not None:
            entries.append(entry)
    entries = _dedupe(entries, warnings)
    if problems:
        raise RosterError(path, problems)
    if not entries:
        raise RosterError(path, [f"no participants below the header (line {header_line})"])
    found = tuple(m for m in meanings if m is not None)
    return Roster(tuple(entries), found, encoding, delimiter, tuple(warnings))


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
    if problems and len(header) == 1 and any(d in header[0] for d in ",;\t" if d != delimiter):
        problems.append("the header is one column: is the separator something other than ',', ';' or tab?")
    if problems:
        raise RosterError(path, problems)


def _entry(line: int, values: Mapping[str, str], problems: list[str]) -> RosterEntry | None:
    before = len(problems)
    name = values.get("name") or " ".join(p for p in (values.get("first"), values.get("last")) if p)
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


def _dedupe(entries: Iterable[RosterEntry], warnings: list[str]) -> list[RosterEntry]:
    """One entry per e-mail address (compared case-insensitively): the first one wins, the others are listed."""
    seen: dict[str, RosterEntry] = {}
    for entry in entries:
        key = entry.email.lower()
        first = seen.get(key)
        if first is None:
            seen[key] = entry
        else:
            warnings.append(f"line {entry.line}: {entry.email} is already on line {first.line}; skipped")
    return list(seen.values())
