"""`labctl handout --format eml`: one ready-to-send draft per participant, as a mail client reads it."""

from __future__ import annotations

import email
import email.policy
import json
import stat
from pathlib import Path

from labctl.classroom.handout import class_info
from labctl.classroom.handout_files import WriteOptions, write_handouts
from labctl.classroom.i18n import texts
from labctl.errors import EXIT_OK
from stacks.outputs import LabOutputs
from tests.labctl.classroom.test_class_cli import KEYS, invoke, outputs
from tests.labctl.classroom.test_handout import OUTPUTS, students


def read_eml(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[return-value]


def test_a_spanish_draft_per_participant_that_a_mail_client_opens(tmp_path: Path) -> None:
    info = class_info(LabOutputs.parse(OUTPUTS), starts_on="2026-12-01")
    info = info.__class__(**{**info.__dict__, "lab": "taller-ia-2026"})
    options = WriteOptions(fmt="eml", texts=texts("es"), sender="Profesora <prof@uni.es>")
    written = write_handouts(tmp_path / "out", info, students(), options)
    assert sorted(p.name for p in written) == ["ana-garcia.eml", "ana-garcia.env", "bob.eml", "bob.env"]
    assert {stat.S_IMODE(p.stat().st_mode) for p in written} == {0o600}

    raw = (tmp_path / "out" / "ana-garcia.eml").read_bytes()
    assert raw.isascii() and b"\r\n" in raw  # 7-bit safe, CRLF: what .eml readers expect
    msg = read_eml(tmp_path / "out" / "ana-garcia.eml")
    assert msg["X-Unsent"] == "1"  # Outlook opens it as a message to send
    assert msg["Message-ID"] is None  # the mail client gives it one when it sends it
    assert msg["To"].addresses[0].addr_spec == "ana@uni.es"
    assert msg["To"].addresses[0].display_name == 'Ana <García> & "Co"'
    assert msg["From"] == "Profesora <prof@uni.es>"
    assert msg["Subject"] == "Tu clave para el laboratorio de Azure OpenAI taller-ia-2026"
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith('Hola, Ana <García> & "Co":\n')
    assert "k-ana-0123456789abcdef" in text and "k-bob" not in text
    assert "## Cuando el laboratorio dice que no" in text
    html = msg.get_body(("html",)).get_content()
    assert '<html lang="es">' in html and "k-ana-0123456789abcdef" in html
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "ana-garcia.env"
    assert "OPENAI_API_KEY=k-ana-0123456789abcdef" in attachment.get_content()


def test_eml_through_the_cli_prints_no_key(project: Path, tmp_path: Path, no_pulumi: None) -> None:
    saved = tmp_path / "outputs.json"
    saved.write_text(json.dumps(outputs(stack="dev", labName="genai-workshop-dev")), encoding="utf-8")
    out = tmp_path / "mail"
    result = invoke(
        "handout", "-o", str(out), "-f", "eml", "--outputs", str(saved), "--project-dir", str(project)
    )
    assert result.exit_code == EXIT_OK, result.output
    said = " ".join(
        result.output.split()
    )  # the console folds long lines where the temp path's length puts them
    assert "one e-mail draft (.eml) each" in said and "(Español)" in said
    assert all(key not in "".join(said.split()) for key in KEYS.values())  # not even folded across lines
    msg = read_eml(out / "student01.eml")
    assert msg["To"].addresses[0].addr_spec == "student01@contoso.edu"
    assert msg["Subject"] == "Tu clave para el laboratorio de Azure OpenAI genai-workshop-dev"
    # --lang overrides the class's language.
    result = invoke(
        "handout",
        "-o",
        str(out),
        "-f",
        "eml",
        "--lang",
        "EN",
        "--outputs",
        str(saved),
        "--project-dir",
        str(project),
    )
    assert result.exit_code == EXIT_OK, result.output
    assert (
        read_eml(out / "student01.eml")["Subject"] == "Your key for the Azure OpenAI lab genai-workshop-dev"
    )
