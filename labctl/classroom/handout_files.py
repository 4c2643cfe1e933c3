"""Writing the handouts, owner-only: files 0600 from their first byte inside a 0700 folder, each written to a
temporary file and renamed into place (labctl/files.py), in the format asked for."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from labctl.classroom.handout import ClassInfo, HandoutError, Student
from labctl.classroom.i18n import Texts, texts
from labctl.files import atomic_write_text

Format = Literal["md", "html", "csv", "eml"]
FORMATS: tuple[str, ...] = ("md", "html", "csv", "eml")
CSV_NAME = "handout.csv"


@dataclass(frozen=True)
class WriteOptions:
    fmt: str = "md"
    texts: Texts | None = None
    # The CSV's delimiter: ';' for a spreadsheet whose locale uses the comma as decimal mark (Spanish Excel).
    delimiter: str = ","
    # The From: of .eml drafts (None: the mail client fills it with the account that sends it).
    sender: str | None = None


def private_dir(path: Path) -> None:
    """Create `path` (and parents) readable by the owner only; tighten it if it already exists."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix" and (path.stat().st_mode & 0o077):
        os.chmod(path, 0o700)


def write_private(path: Path, text: str) -> None:
    """The file 0600 from the first byte (never world-readable, whatever the umask), renamed over `path` whole."""
    atomic_write_text(path, text, mode=0o600)


def eml_name(student: Student) -> str:
    return f"{student.name}.eml"


def write_handouts(
    out_dir: Path, info: ClassInfo, students: Sequence[Student], fmt: str | WriteOptions = "md"
) -> list[Path]:
    """Write the handouts; returns the files written (the caller prints their names, never their contents)."""
    from labctl.classroom import handout_render as render

    options = fmt if isinstance(fmt, WriteOptions) else WriteOptions(fmt=fmt)
    tx = options.texts or texts()
    if options.fmt not in FORMATS:
        raise HandoutError(f"unknown format '{options.fmt}'. Fix: use one of {', '.join(FORMATS)}")
    if options.fmt == "eml":
        from labctl.classroom.handout_mail import mail_content

        contents = [mail_content(info, s, tx) for s in students]  # every address checked before writing
    try:
        private_dir(out_dir)
        written: list[Path] = []
        for i, student in enumerate(students):
            env_path = out_dir / f"{student.name}.env"
            write_private(env_path, render.env_text(info, student))
            written.append(env_path)
            if options.fmt in ("md", "html"):
                page = out_dir / f"{student.name}.{options.fmt}"
                page_text = (render.markdown if options.fmt == "md" else render.html_page)(info, student, tx)
                write_private(page, page_text)
                written.append(page)
            elif options.fmt == "eml":
                from labctl.classroom.handout_mail import email_message

                message = email_message(contents[i], sender=options.sender, draft=True)
                path = out_dir / eml_name(student)
                # policy SMTP: CRLF line ends and 7-bit safe bodies, what mail clients expect in an .eml file.
                write_private(path, message.as_bytes().decode("ascii"))
                written.append(path)
        if options.fmt == "csv":
            sheet = out_dir / CSV_NAME
            # A BOM so Excel opens names with accents correctly.
            write_private(sheet, "\ufeff" + render.csv_text(info, students, tx, options.delimiter))
            written.append(sheet)
    except OSError as exc:
        raise HandoutError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None
    return written
