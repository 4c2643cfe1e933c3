"""The handouts' language: texts as data, the same keys and fields in every language, Spanish for a Spanish class."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
import yaml

from facts.token_limits import QUOTA_PERIODS
from labctl.classroom.handout import class_info
from labctl.classroom.handout_render import csv_text, markdown, python_snippet
from labctl.classroom.i18n import LOCALES, fields_of, flat_keys, languages, refusals, texts
from stacks.config.classroom import ClassLanguage
from stacks.config.sections import LabSettings
from stacks.outputs import LabOutputs
from tests.labctl.classroom.test_handout import OUTPUTS, students


def _locale(code: str) -> dict[str, str]:
    return flat_keys(yaml.safe_load((LOCALES / f"{code}.yaml").read_text(encoding="utf-8")))


def test_every_text_exists_in_every_language_with_the_same_fields() -> None:
    english = _locale("en")
    for code in languages():
        other = _locale(code)
        assert set(other) == set(english), (
            f"{code}: missing {set(english) - set(other)}, extra {set(other) - set(english)}"
        )
        for key, text in english.items():
            assert fields_of(other[key]) == fields_of(text), f"{code}: {key}"
            assert other[key].strip(), f"{code}: {key} is empty"


def test_every_refusal_is_explained_in_every_language() -> None:
    for code in languages():
        tx = texts(code)
        for r in refusals():
            assert tx.t(f"errors.codes.{r.key}.meaning") and tx.t(f"errors.codes.{r.key}.todo"), (code, r.key)


def test_every_language_names_each_quota_period_azure_has() -> None:
    # A period the handout has no word for falls back to "period": a new one in facts/ must be named here too.
    for code in languages():
        named = {
            key.removeprefix("limits.periods.") for key in _locale(code) if key.startswith("limits.periods.")
        }
        assert named == {*QUOTA_PERIODS, "other"}, code


def test_the_config_key_offers_exactly_the_languages_there_are_files_for() -> None:
    assert set(typing.get_args(ClassLanguage)) == set(languages()) == {"en", "es"}
    assert LabSettings.model_fields["class_language"].default == "en"


def test_a_bad_class_language_is_a_config_error_naming_the_key_and_the_fix(plan_with) -> None:
    from labctl.plan.runtime import PlanError

    with pytest.raises(PlanError) as caught:
        plan_with(classLanguage="fr")
    text = " ".join(str(caught.value).split())
    assert "aoai-lab:classLanguage" in text and "Fix: use es (Spanish) or en (English)" in text


def test_a_spanish_handout_reads_in_spanish_with_spanish_numbers() -> None:
    info = class_info(LabOutputs.parse(OUTPUTS), starts_on="2026-12-01")
    ana = students(tokenQuota=100000, tokenQuotaPeriod="Daily")[0]
    page = markdown(info, ana, texts("es"))
    lines = page.splitlines()
    assert lines[0] == '# Laboratorio de Azure OpenAI: Ana \\<García\\> & "Co"'
    assert "| Límites de tokens | `2.000 tokens por minuto; 100.000 tokens por día` |" in lines
    assert (
        "| Periodo del curso | `desde el 2026-12-01 00:00 UTC hasta el 2026-12-19 00:00 UTC (tu clave solo funciona "
        "en este periodo)` |" in lines
    )
    assert "## Cuando el laboratorio dice que no" in lines
    assert "Tokens per minute" not in page and "Keep this file private" not in page
    snippet = python_snippet(info, ana, texts("es"))
    compile(snippet, "snippet.py", "exec")
    assert '"content": "Saluda en inglés."' in snippet


def test_the_csv_delimiter_for_spanish_excel() -> None:
    info = class_info(LabOutputs.parse(OUTPUTS))
    text = csv_text(info, students(), texts("es"), ";")
    import csv
    import io

    header, first = list(csv.reader(io.StringIO(text), delimiter=";"))[:2]
    assert header[:3] == ["participant", "name", "email"]
    assert first[:3] == ["ana-garcia", 'Ana <García> & "Co"', "ana@uni.es"]
    assert first[9] == "2.000 tokens por minuto"
    assert text.splitlines()[1].startswith("ana-garcia;")


def test_the_dev_stack_is_the_spanish_workshop() -> None:
    from tests.conftest import PROJECT_DIR

    config = yaml.safe_load((Path(PROJECT_DIR) / "Pulumi.dev.yaml").read_text(encoding="utf-8"))["config"]
    assert config["aoai-lab:classLanguage"] == "es"


def test_the_window_is_shown_in_the_class_time_zone_with_utc_beside_it() -> None:
    import dataclasses

    info = dataclasses.replace(
        class_info(LabOutputs.parse(OUTPUTS), starts_on="2026-12-01"), time_zone="Europe/Madrid"
    )
    page = markdown(info, students()[0], texts("es"))
    assert (
        "`desde el 2026-12-01 00:00 Europe/Madrid (2026-11-30 23:00 UTC) hasta el 2026-12-19 00:00 Europe/Madrid "
        "(2026-12-18 23:00 UTC) (tu clave solo funciona en este periodo)`"
    ) in page
