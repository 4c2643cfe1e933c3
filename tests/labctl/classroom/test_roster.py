"""Reading class lists the way spreadsheets export them, and the names they become."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.classroom.roster import RosterError, parse_count, read_roster
from labctl.classroom.slugs import assign_names, slugify, suggest_name, unique_name
from stacks.config.formats import PARTICIPANT_NAME_RE


def write(tmp_path: Path, data: bytes, name: str = "class.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("José Álvarez", "jose-alvarez"),
        ("  María-José  Nuñez Peña ", "maria-jose-nunez-pena"),
        ("ana.garcia", "ana-garcia"),
        ("Jürgen Strauß", "jurgen-strauss"),
        ("Øyvind Łukasz", "oyvind-lukasz"),
        ("李雷", ""),
        ("O'Brien, Seán", "o-brien-sean"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_long_names_are_cut_at_a_word_and_stay_valid() -> None:
    slug = slugify("María del Carmen de los Ángeles Fernández de la Vega y Sotomayor")
    assert slug == "maria-del-carmen-de-los-angeles"
    assert PARTICIPANT_NAME_RE.match(unique_name("a" * 40, {"a" * 40}))
    assert unique_name("a" * 40, {"a" * 40}) == "a" * 38 + "-2"


def test_collisions_get_suffixes_and_e_mail_local_part_is_the_fallback() -> None:
    names = assign_names(
        [("José Álvarez", "j1@x.edu"), ("Jose Alvarez", "j2@x.edu"), ("李雷", "li.lei@x.edu"), ("", "@x")],
        taken=["jose-alvarez-2"],
    )
    assert names == ["jose-alvarez", "jose-alvarez-3", "li-lei", "participant"]


def test_suggestion_for_a_refused_name() -> None:
    assert suggest_name("ana.garcia") == "ana-garcia"
    assert suggest_name("Ana García") == "ana-garcia"
    assert suggest_name("ana-garcia") is None
    assert suggest_name("...") is None


def test_spanish_excel_export_semicolon_bom_accented_headers(tmp_path: Path) -> None:
    data = (
        "\ufeffNombre;Apellidos;Correo electrónico;Tokens por minuto;Cuota;Periodo\r\n"
        "José;Álvarez;Jose.Alvarez@Universidad.ES;2.000;100.000;mensual\r\n"
        ";;;;;\r\n"
        "Ana;García;ana.garcia@universidad.es;;;\r\n"
    ).encode()
    roster = read_roster(write(tmp_path, data))
    assert roster.delimiter == ";"
    assert roster.encoding == "utf-8-sig"
    assert [(e.line, e.display_name, e.email) for e in roster.entries] == [
        (2, "José Álvarez", "Jose.Alvarez@universidad.es"),
        (4, "Ana García", "ana.garcia@universidad.es"),
    ]
    assert dict(roster.entries[0].limits) == {
        "tokensPerMinute": 2000,
        "tokenQuota": 100000,
        "tokenQuotaPeriod": "Monthly",
    }
    assert dict(roster.entries[1].limits) == {}
    assert roster.limit_columns == ("tokensPerMinute", "tokenQuota", "tokenQuotaPeriod")


def test_excel_plain_csv_in_windows_1252(tmp_path: Path) -> None:
    data = "Name,E-mail\nJosé Núñez,jose@x.edu\n".encode("cp1252")
    roster = read_roster(write(tmp_path, data))
    assert roster.encoding == "cp1252"
    assert roster.entries[0].display_name == "José Núñez"


def test_google_sheets_utf8_comma_quoted_names(tmp_path: Path) -> None:
    data = b'Full name,Email,Group\n"Garc\xc3\xada, Ana",ana@x.edu,A\n'
    roster = read_roster(write(tmp_path, data))
    assert roster.delimiter == ","
    assert roster.entries[0].display_name == "Ana García"  # "Last, First" is shown as a person is addressed
    assert roster.warnings == ("column 'Group' is not used (not a name, e-mail or token limit)",)


def test_every_bad_row_is_reported_with_its_line_before_anything_is_written(tmp_path: Path) -> None:
    data = (
        b"name,email,tpm,participant\n"
        b"Ana,ana@x.edu,1000,\n"
        b"Bad Mail,not-an-address,,\n"
        b"No Mail,,,\n"
        b"Big,big@x.edu,lots,\n"
        b"Dotted,dot@x.edu,,ana.garcia\n"
    )
    with pytest.raises(RosterError) as err:
        read_roster(write(tmp_path, data))
    assert err.value.problems == [
        "line 3: 'not-an-address' is not an e-mail address. Fix: use name@domain",
        "line 4: no e-mail for 'No Mail'. Fix: fill in the e-mail column",
        "line 5: tokensPerMinute 'lots' is not a positive whole number. Fix: e.g. 10000",
        "line 6: participant name 'ana.garcia' is not valid (it becomes the gateway subscription id). "
        "Fix: use 'ana-garcia'",
    ]


def test_the_same_person_listed_twice_keeps_the_first_and_says_so(tmp_path: Path) -> None:
    data = b"name,email\nAna,ana@x.edu\nana,ANA@X.EDU\n"
    roster = read_roster(write(tmp_path, data))
    assert [e.display_name for e in roster.entries] == ["Ana"]
    assert roster.warnings == ("line 3: ana <ANA@x.edu> is already on line 2; line 3 skipped",)


def test_header_without_e_mail_or_name_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(RosterError) as err:
        read_roster(write(tmp_path, b"alumno|correo\nAna|ana@x.edu\n"))
    assert "no e-mail column in the header ('alumno|correo')" in str(err.value)
    with pytest.raises(RosterError, match="the file is empty"):
        read_roster(write(tmp_path, b"\n\n"))
    with pytest.raises(RosterError, match="no participants below the header"):
        read_roster(write(tmp_path, b"name,email\n"))


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("10000", 10000),
        ("10,000", 10000),
        ("10.000", 10000),
        ("1 000 000", 1000000),
        ("1.000,5", None),
        ("x", None),
    ],
)
def test_counts_as_spreadsheets_write_them(raw: str, value: int | None) -> None:
    assert parse_count(raw) == value


def test_a_missing_or_unreadable_class_list_is_a_usage_error_exit_2(tmp_path: Path) -> None:
    # Like a missing --outputs or --snapshot file: a wrong argument (exit 2), not "problems found" in the file (1).
    from typer.testing import CliRunner

    from labctl.cli import app
    from labctl.errors import EXIT_USAGE, UsageError
    from labctl.project import PROJECT_DIR

    with pytest.raises(UsageError, match=r"missing.csv not found. Fix: export the class list as CSV"):
        read_roster(tmp_path / "missing.csv")
    with pytest.raises(
        UsageError, match=r"cannot be read: Is a directory\. Fix: pass the class list.s CSV file"
    ):
        read_roster(tmp_path)
    for path in (tmp_path / "missing.csv", tmp_path):
        result = CliRunner().invoke(
            app,
            ["roster", "import", str(path), "--dry-run", "--stack", "dev", "--project-dir", str(PROJECT_DIR)],
            env={"COLUMNS": "200"},
        )
        assert result.exit_code == EXIT_USAGE, result.output


def test_utf16_class_list_is_read(tmp_path: Path) -> None:
    # Excel's "Unicode Text" (UTF-16 with a BOM, tab-separated) and PowerShell 5.1's `> roster.csv`.
    text = "nombre\tcorreo\nMaría José\tmj@x.edu\n"
    for data in (b"\xff\xfe" + text.encode("utf-16-le"), b"\xfe\xff" + text.encode("utf-16-be")):
        roster = read_roster(write(tmp_path, data))
        assert [(e.display_name, e.email) for e in roster.entries] == [("María José", "mj@x.edu")]
        assert roster.encoding == "utf-16"
