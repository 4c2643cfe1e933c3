"""Class lists as Spanish universities export them (issue 18): `DNI;Apellidos, Nombre;Correo`, .xlsx workbooks,
binary files that are not lists, duplicates, every problem at once, --skip-invalid, --replace asking first, and
the export for a Spanish-locale Excel."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook
from typer.testing import CliRunner

from labctl.classroom.roster import RosterError, read_roster
from labctl.cli import app
from labctl.errors import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError

# What a Spanish university's student records system exports from Excel in a Spanish locale: ';' between columns,
# a comma inside the "Apellidos, Nombre" column name and values, Windows-1252.
UNIVERSITY_EXPORT = (
    "DNI;Apellidos, Nombre;Correo\r\n"
    "12345678Z;Álvarez Fernández, José;jose.alvarez@alumnos.upm.es\r\n"
    "87654321X;Rodríguez López, María del Carmen;mc.rodriguez@alumnos.upm.es\r\n"
    "11223344B;Núñez Peña, Íñigo;inigo.nunez@alumnos.upm.es\r\n"
)


def write(tmp_path: Path, data: bytes, name: str = "clase.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input, env={"COLUMNS": "200"})


def participants(project: Path) -> list[dict]:
    data = yaml.safe_load((project / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    return data["config"]["aoai-lab:participants"]


def test_a_comma_inside_the_header_does_not_split_it(tmp_path: Path) -> None:
    roster = read_roster(write(tmp_path, UNIVERSITY_EXPORT.encode("cp1252")))
    assert roster.delimiter == ";" and roster.encoding == "cp1252"
    assert [(e.line, e.display_name, e.email) for e in roster.entries] == [
        (2, "José Álvarez Fernández", "jose.alvarez@alumnos.upm.es"),
        (3, "María del Carmen Rodríguez López", "mc.rodriguez@alumnos.upm.es"),
        (4, "Íñigo Núñez Peña", "inigo.nunez@alumnos.upm.es"),
    ]
    # The DNI is personal data the lab has no use for: it is left out, and said so.
    assert roster.warnings == ("column 'DNI' is not used (not a name, e-mail or token limit)",)


def test_the_import_names_students_as_they_are_addressed(project: Path, tmp_path: Path) -> None:
    path = write(tmp_path, UNIVERSITY_EXPORT.encode("utf-8-sig"))
    result = invoke("roster", "import", str(path), "--project-dir", str(project))
    assert result.exit_code == EXIT_OK, result.output
    added = participants(project)[2:]
    assert [(p["name"], p["displayName"]) for p in added] == [
        ("jose-alvarez-fernandez", "José Álvarez Fernández"),
        ("maria-del-carmen-rodriguez-lopez", "María del Carmen Rodríguez López"),
        ("inigo-nunez-pena", "Íñigo Núñez Peña"),
    ]
    assert "12345678Z" not in (project / "Pulumi.dev.yaml").read_text(encoding="utf-8")


def test_delimiter_and_encoding_can_be_forced(tmp_path: Path) -> None:
    path = write(tmp_path, "Nombre|Correo\nJosé|jose@uni.es\n".encode("latin-1"))
    roster = read_roster(path, delimiter="|", encoding="latin-1")
    assert (roster.entries[0].display_name, roster.delimiter, roster.encoding) == ("José", "|", "latin-1")
    with pytest.raises(UsageError, match="--delimiter 'x' is not a separator"):
        read_roster(path, delimiter="x")
    with pytest.raises(UsageError, match="is not utf-8 \\(line 2"):
        read_roster(path, encoding="utf-8")


def test_an_xlsx_workbook_is_read_directly(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Grupo A"
    sheet.append(["DNI", "Apellidos, Nombre", "Correo", "Tokens por minuto"])
    sheet.append(["12345678Z", "Álvarez Fernández, José", "jose.alvarez@alumnos.upm.es", 2000])
    sheet.append([None, None, None, None])
    sheet.append(["87654321X", "Rodríguez López, María", "not-an-address", 1500.0])
    book.create_sheet("Notas")
    path = tmp_path / "clase.xlsx"
    book.save(path)

    with pytest.raises(RosterError) as err:
        read_roster(path)
    assert err.value.problems == ["row 4: 'not-an-address' is not an e-mail address. Fix: use name@domain"]

    roster = read_roster(path, skip_invalid=True)
    assert [(e.line, e.display_name, dict(e.limits)) for e in roster.entries] == [
        (2, "José Álvarez Fernández", {"tokensPerMinute": 2000})
    ]
    assert "read the first sheet, 'Grupo A', of 2" in roster.warnings


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4, "an Excel 97-2003 workbook (.xls)"),
        (b"PK\x03\x04\x14\x00\x00\x00mimetypeapplication/vnd.oasis.opendocument.spreadsheet", "a zipped"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a binary file"),
    ],
)
def test_other_binary_files_are_asked_to_be_saved_as_csv(tmp_path: Path, data: bytes, kind: str) -> None:
    path = write(tmp_path, data, "clase.xls")
    with pytest.raises(UsageError) as err:
        read_roster(path)
    message = str(err.value)
    assert kind in message and "save it as CSV" in message
    # None of the file's bytes: the message is for a person.
    assert "\\x" not in message and "\ufffd" not in message and "PNG" not in message and len(message) < 300
    result = invoke("roster", "import", str(path))
    assert result.exit_code == EXIT_USAGE and "Traceback" not in result.output


def test_a_duplicate_e_mail_names_both_rows_and_both_people_with_every_other_problem(tmp_path: Path) -> None:
    data = (
        "Nombre;Apellidos;Correo;TPM\n"
        "Ana;García;ana@uni.es;1000\n"
        "Luis;Pérez;no-es-correo;\n"
        "Ana;Gómez;ANA@uni.es;\n"
        "Eva;Ruiz;eva@uni.es;mucho\n"
        "Pablo;Sanz;pablo@uni.es;\n"
    ).encode()
    with pytest.raises(RosterError) as err:
        read_roster(write(tmp_path, data))
    assert err.value.problems == [
        "line 3: 'no-es-correo' is not an e-mail address. Fix: use name@domain",
        "line 5: tokensPerMinute 'mucho' is not a positive whole number. Fix: e.g. 10000",
        "lines 2 and 4 have the same e-mail ANA@uni.es: 'Ana García' (line 2) and 'Ana Gómez' (line 4). "
        "Fix: correct the e-mail of one of them",
    ]
    assert "1 row(s) are valid: --skip-invalid imports them" in str(err.value)


def test_skip_invalid_imports_the_valid_rows_and_lists_the_rest(project: Path, tmp_path: Path) -> None:
    data = b"name,email\nAna Garcia,ana@uni.es\nLuis,not-mail\nEva Ruiz,eva@uni.es\n"
    path = write(tmp_path, data)
    before = (project / "Pulumi.dev.yaml").read_bytes()
    refused = invoke("roster", "import", str(path), "--project-dir", str(project))
    assert refused.exit_code == EXIT_PROBLEMS
    assert (project / "Pulumi.dev.yaml").read_bytes() == before

    result = invoke("roster", "import", str(path), "--skip-invalid", "--project-dir", str(project))
    assert result.exit_code == EXIT_OK, result.output
    assert [p["name"] for p in participants(project)][2:] == ["ana-garcia", "eva-ruiz"]
    text = " ".join(result.output.split())
    assert "1 problem(s) in clase.csv; those rows are not imported (--skip-invalid)" in text
    assert "line 3: 'not-mail' is not an e-mail address" in text


def test_replace_that_removes_people_asks_first(project: Path, tmp_path: Path) -> None:
    path = write(tmp_path, b"name,email\nAna Garcia,ana@uni.es\n")
    before = (project / "Pulumi.dev.yaml").read_bytes()

    refused = invoke("roster", "import", str(path), "--replace", "--project-dir", str(project), input="n\n")
    assert refused.exit_code == EXIT_PROBLEMS
    assert "--replace removes 2 participant(s): student01, student02" in refused.output
    assert "Nothing written" in refused.output
    assert (project / "Pulumi.dev.yaml").read_bytes() == before

    no_answer = invoke("roster", "import", str(path), "--replace", "--project-dir", str(project), input="")
    assert no_answer.exit_code == EXIT_PROBLEMS
    assert "rerun with --yes" in no_answer.output
    assert (project / "Pulumi.dev.yaml").read_bytes() == before

    typed = invoke("roster", "import", str(path), "--replace", "--project-dir", str(project), input="yes\n")
    assert typed.exit_code == EXIT_OK, typed.output
    assert [p["name"] for p in participants(project)] == ["ana-garcia"]


def test_replace_with_yes_does_not_ask(project: Path, tmp_path: Path) -> None:
    path = write(tmp_path, b"name,email\nAna Garcia,ana@uni.es\n")
    result = invoke("roster", "import", str(path), "--replace", "--yes", "--project-dir", str(project))
    assert result.exit_code == EXIT_OK, result.output
    assert "Type yes" not in result.output
    assert [p["name"] for p in participants(project)] == ["ana-garcia"]


def test_export_for_a_spanish_locale_excel_reads_back(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "clase.csv"
    result = invoke("roster", "export", str(out), "-d", ";", "--project-dir", str(project))
    assert result.exit_code == EXIT_OK, result.output
    text = out.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["name", "email", "participant"]
    assert rows[1][1:3] == ["student01@contoso.edu", "student01"]
    again = invoke("roster", "import", str(out), "--dry-run", "--project-dir", str(project))
    assert again.exit_code == EXIT_OK and "0 to add, 0 to change, 0 to remove, 2 unchanged." in again.output
