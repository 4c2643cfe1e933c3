"""Roster import into Pulumi.<stack>.yaml: what is added, changed, removed; comments and other keys kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from labctl.classroom.classfile import ClassFile, ClassFileError
from labctl.classroom.enroll import apply_enrollment, export_csv, plan_enrollment
from labctl.classroom.roster import parse_roster, read_roster
from labctl.project import load_stack_settings
from labctl.stackfile import StackEditError
from stacks.config.encrypted import SECRET
from stacks.config.load import load_settings
from tests.support.class_settings import class_settings

ROSTER = (
    "nombre;correo;tokens por minuto\n"
    "José Álvarez;jose@uni.es;2000\n"
    "Jose Alvarez;jose.b@uni.es;\n"
    "Student Two;student02@contoso.edu;5000\n"
)


def stack(project: Path) -> Path:
    return project / "Pulumi.dev.yaml"


def config(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["config"]


def test_import_adds_updates_and_keeps_everything_else(project: Path) -> None:
    path = stack(project)
    before = path.read_text(encoding="utf-8")
    doc = ClassFile(path, "aoai-lab")
    plan = plan_enrollment(parse_roster(ROSTER), doc.participants(), replace=False)

    assert [p["name"] for p in plan.added] == ["jose-alvarez", "jose-alvarez-2"]
    assert [(c.name, c.fields) for c in plan.changed] == [
        ("student02", {"displayName": (None, "Student Two"), "limits": (None, {"tokensPerMinute": 5000})})
    ]
    assert [p["name"] for p in plan.kept] == ["student01"]
    assert plan.removed == []
    assert plan.summary_lines() == [
        "+ jose-alvarez <jose@uni.es> (tokensPerMinute=2000)",
        "+ jose-alvarez-2 <jose.b@uni.es>",
        "~ student02 <student02@contoso.edu>: displayName: (unset) -> Student Two, limits: (unset) -> "
        "{tokensPerMinute: 5000}",
    ]

    assert apply_enrollment(doc, plan) is True
    after = path.read_text(encoding="utf-8")
    # Every line of the old file that is not a participant line is still there, comments included.
    participants_at = before.index("  aoai-lab:participants:")
    kept_lines = [line for line in before[:participants_at].splitlines()]
    assert after.splitlines()[: len(kept_lines)] == kept_lines
    assert "  # One gateway subscription (and key) per participant.\n" in after
    assert after.endswith('  aoai-lab:logRetentionDays: 30\n  aoai-lab:logDailyCapGb: "1"\n')
    assert config(path)["aoai-lab:participants"] == [
        {"name": "student01", "email": "student01@contoso.edu"},
        {
            "name": "student02",
            "email": "student02@contoso.edu",
            "displayName": "Student Two",
            "limits": {"tokensPerMinute": 5000},
        },
        {
            "name": "jose-alvarez",
            "email": "jose@uni.es",
            "displayName": "José Álvarez",
            "limits": {"tokensPerMinute": 2000},
        },
        {"name": "jose-alvarez-2", "email": "jose.b@uni.es", "displayName": "Jose Alvarez"},
    ]


def test_the_written_file_still_validates_with_the_stack_settings(project: Path) -> None:
    path = stack(project)
    doc = ClassFile(path, "aoai-lab")
    roster = parse_roster("name,email\nAna García,ana@uni.es\nana garcia,ana2@uni.es\n")
    apply_enrollment(doc, plan_enrollment(roster, doc.participants(), replace=True))
    raw = {k.split(":", 1)[1]: v for k, v in config(path).items() if k.startswith("aoai-lab:")}
    for p in raw["participants"]:
        p.pop("displayName", None)  # the settings key arrives with the settings change (phase B)
    settings = load_settings(raw, stack="dev", project="aoai-lab", resource_group_location="eastus2")
    assert [p.name for p in settings.participants] == ["ana-garcia", "ana-garcia-2"]


def test_removal_needs_replace_and_names_never_change_on_reimport(project: Path) -> None:
    path = stack(project)
    doc = ClassFile(path, "aoai-lab")
    first = plan_enrollment(parse_roster(ROSTER), doc.participants(), replace=True)
    assert [p["name"] for p in first.removed] == ["student01"]
    apply_enrollment(doc, first)

    # Same people, re-sorted and with a changed display name: names stay, nothing is added or removed.
    again = parse_roster(
        "name,email,tpm\nStudent 2,student02@contoso.edu,5000\nJ. Álvarez,jose@uni.es,2000\nJose Alvarez,jose.b@uni.es,\n"
    )
    doc = ClassFile(path, "aoai-lab")
    plan = plan_enrollment(again, doc.participants(), replace=True)
    assert plan.added == [] and plan.removed == []
    assert [(c.name, c.fields) for c in plan.changed] == [
        ("student02", {"displayName": ("Student Two", "Student 2")}),
        ("jose-alvarez", {"displayName": ("José Álvarez", "J. Álvarez")}),
    ]
    assert plan.unchanged == 1


def test_dry_run_writes_nothing_and_an_unchanged_import_leaves_the_file_alone(project: Path) -> None:
    path = stack(project)
    before = path.read_bytes()
    doc = ClassFile(path, "aoai-lab")
    plan = plan_enrollment(
        parse_roster("name,email\nx,student01@contoso.edu\n"), doc.participants(), replace=False
    )
    assert plan.has_changes  # displayName is new
    assert path.read_bytes() == before  # planning alone never writes
    roster = parse_roster(
        "participant,email\nstudent01,student01@contoso.edu\nstudent02,student02@contoso.edu\n"
    )
    plan = plan_enrollment(roster, doc.participants(), replace=True)
    assert not plan.has_changes
    assert apply_enrollment(doc, plan) is False
    assert path.read_bytes() == before


def test_empty_limit_cell_clears_the_override(project: Path) -> None:
    path = stack(project)
    doc = ClassFile(path, "aoai-lab")
    apply_enrollment(doc, plan_enrollment(parse_roster(ROSTER), doc.participants(), replace=False))
    doc = ClassFile(path, "aoai-lab")
    roster = parse_roster("name;correo;tpm\nJosé Álvarez;jose@uni.es;\n")
    plan = plan_enrollment(roster, doc.participants(), replace=False)
    assert [(c.name, c.fields) for c in plan.changed] == [
        ("jose-alvarez", {"limits": ({"tokensPerMinute": 2000}, None)})
    ]
    apply_enrollment(doc, plan)
    entry = next(p for p in config(path)["aoai-lab:participants"] if p["name"] == "jose-alvarez")
    assert "limits" not in entry


def test_export_reads_back_to_the_same_participants(project: Path, tmp_path: Path) -> None:
    path = stack(project)
    doc = ClassFile(path, "aoai-lab")
    apply_enrollment(doc, plan_enrollment(parse_roster(ROSTER), doc.participants(), replace=False))
    doc = ClassFile(path, "aoai-lab")
    exported = tmp_path / "out.csv"
    # The export reads the typed settings (what `pulumi up` deploys); the import compares with the file's entries.
    typed = load_stack_settings("dev", project).participants
    exported.write_text("\ufeff" + export_csv(typed), encoding="utf-8")
    assert export_csv(typed).splitlines()[0] == (
        "name,email,participant,tokensPerMinute,tokenQuota,tokenQuotaPeriod,state,rotation"
    )
    roster = read_roster(exported)
    assert roster.warnings == ()
    plan = plan_enrollment(roster, doc.participants(), replace=True)
    assert not plan.has_changes


def test_formulas_are_defused_in_the_export() -> None:
    people = class_settings([{"name": "x", "email": "x@uni.es", "displayName": '=HYPERLINK("http://evil")'}])
    text = export_csv(people.participants)
    assert text.splitlines()[1].startswith("\"'=HYPERLINK(")


def test_a_stack_file_without_participants_gets_the_key(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.class.yaml"
    path.write_text("# a new class\nconfig:\n  aoai-lab:owner: a@b.edu\n", encoding="utf-8")
    doc = ClassFile(path, "aoai-lab")
    apply_enrollment(doc, plan_enrollment(parse_roster("name,email\nAna,ana@b.edu\n"), [], replace=False))
    assert path.read_text(encoding="utf-8") == (
        "# a new class\nconfig:\n  aoai-lab:owner: a@b.edu\n  aoai-lab:participants:\n"
        "  - name: ana\n    email: ana@b.edu\n    displayName: Ana\n"
    )


def test_bad_stack_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(StackEditError, match="not found"):
        ClassFile(tmp_path / "Pulumi.nope.yaml", "aoai-lab")
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config:\n  aoai-lab:participants: {a: 1}\n", encoding="utf-8")
    with pytest.raises(ClassFileError, match="not a list of entries"):
        ClassFile(bad, "aoai-lab").participants()


def test_encrypted_e_mails_round_trip_through_export_and_import_without_duplicates(tmp_path: Path) -> None:
    # `pulumi config set --path --secret 'aoai-lab:participants[0].email' ...` writes `email: {secure: ...}`.
    # Export never writes the ciphertext; importing the export (or a list naming the participant) changes nobody.
    from labctl.classroom.enroll import export_csv, plan_enrollment
    from labctl.classroom.roster import ENCRYPTED_EMAIL, parse_roster

    current = [
        {"name": "ana", "email": {"secure": "v1:AAAABBBBCCCC=="}, "displayName": "Ana"},
        {"name": "bob", "email": "bob@x.edu", "displayName": "Bob"},
    ]
    # Offline the settings hold "[secret]" for the ciphertext (stacks/config/encrypted.py).
    typed = class_settings(
        [{**p, "email": SECRET} if p["name"] == "ana" else p for p in current], encrypted=["participants"]
    )
    exported = export_csv(typed.participants)
    assert "v1:AAAA" not in exported and "secure" not in exported
    assert exported.splitlines()[1].startswith(f"Ana,{ENCRYPTED_EMAIL},ana,")

    plan = plan_enrollment(parse_roster(exported), current, replace=True)
    assert (plan.added, plan.changed, plan.removed, plan.unchanged) == ([], [], [], 2)

    # The instructor's own list has the real address and the participant column: ana is matched by name.
    plan = plan_enrollment(
        parse_roster("name,email,participant\nAna María,ana@x.edu,ana\nBob,bob@x.edu,bob\n"),
        current,
        replace=True,
    )
    assert plan.added == [] and plan.removed == []
    assert [(c.name, c.email, c.fields) for c in plan.changed] == [
        ("ana", ENCRYPTED_EMAIL, {"displayName": ("Ana", "Ana María")})
    ]
    assert plan.result[0]["email"] == {"secure": "v1:AAAABBBBCCCC=="}  # the ciphertext stays as it was
    assert "secure" not in "\n".join(plan.summary_lines())


def test_a_secret_e_mail_cell_for_an_unknown_participant_names_the_row() -> None:
    from labctl.classroom.enroll import plan_enrollment
    from labctl.classroom.roster import parse_roster
    from labctl.errors import LabctlError

    with pytest.raises(
        LabctlError, match=r"line 2: the e-mail is \[secret\].*'carla'.*Fix: write the e-mail"
    ):
        plan_enrollment(
            parse_roster("name,email,participant\nCarla,[secret],carla\n"),
            [{"name": "bob", "email": "bob@x.edu"}],
            replace=False,
        )
    with pytest.raises(LabctlError, match="line 2: '\\[secret\\]' is not an e-mail address"):
        parse_roster("name,email\nCarla,[secret]\n")  # without a participant column there is nothing to match
