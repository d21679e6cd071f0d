"""`ketamine-clinic screen`: JSON and readable output, stdin, exit status 2 on a bad intake."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "intake-example.json"


def screen(*args: str) -> str:
    out = io.StringIO()
    call_command("screen", *args, stdout=out)
    return out.getvalue()


def write(tmp_path: Path, document: Any) -> str:
    path = tmp_path / "intake.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_example_json() -> None:
    result = json.loads(screen(str(EXAMPLE), "--json"))
    assert result["decision"] == "needs_review"
    assert result["ruleset"] == "builtin-2026.11"
    assert [f["rule"] for f in result["findings"]] == ["bp_above_140_90", "benzodiazepine"]
    assert set(result["findings"][0]) == {"rule", "level", "reason", "source"}
    assert "150/95 mm Hg" in result["findings"][0]["reason"]


def test_example_readable() -> None:
    text = screen(str(EXAMPLE))
    lines = text.splitlines()
    assert lines[0] == "Decision: Needs prescriber review"
    assert "[Prescriber review] bp_above_140_90" in text
    assert "[Caution] benzodiazepine" in text
    assert "Source: docs/clinical/reference.md §1.6" in text
    assert text.index("bp_above_140_90") < text.index("benzodiazepine")


def test_no_findings_readable(tmp_path: Path) -> None:
    path = write(
        tmp_path, {"route": "oral", "age_years": 40, "systolic_bp": 118, "diastolic_bp": 76}
    )
    text = screen(path)
    assert text.splitlines()[0] == "Decision: Eligible"
    assert "No findings." in text


def test_ineligible_still_exits_normally(tmp_path: Path) -> None:
    path = write(
        tmp_path, {"route": "intranasal", "age_years": 40, "systolic_bp": 181, "diastolic_bp": 90}
    )
    result = json.loads(screen(path, "--json"))
    assert result["decision"] == "ineligible"
    assert "esketamine must not be given" in result["findings"][0]["reason"]


def test_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(EXAMPLE.read_text(encoding="utf-8")))
    assert json.loads(screen("-", "--json"))["decision"] == "needs_review"


@pytest.mark.parametrize(
    ("document", "messages"),
    [
        (
            {"route": "nasal", "age_years": 200, "colour": "red"},
            [
                "route: Unknown route 'nasal' (iv, im, intranasal, oral).",
                "age_years: Age must be between 0 and 120 years.",
                "colour: Unknown field.",
            ],
        ),
        ({"age_years": 40}, ["route: Required."]),
        (
            {"route": "iv", "age_years": 40, "systolic_bp": 150},
            ["diastolic_bp: Give the diastolic pressure with the systolic."],
        ),
        ([1, 2], ["must be a JSON object"]),
    ],
)
def test_bad_intake_is_a_command_error_with_status_2(
    tmp_path: Path, document: Any, messages: list[str]
) -> None:
    with pytest.raises(CommandError) as caught:
        screen(write(tmp_path, document))
    assert caught.value.returncode == 2
    for message in messages:
        assert message in str(caught.value)


def test_unreadable_file_and_bad_json(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot read") as caught:
        screen(str(tmp_path / "missing.json"))
    assert caught.value.returncode == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{route: iv}", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON") as caught:
        screen(str(bad))
    assert caught.value.returncode == 2


def run_cli(
    tmp_path: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ketamine_clinic.cli", "screen", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={"KETAMINE_CLINIC_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_cli_prints_json(tmp_path: Path) -> None:
    result = run_cli(tmp_path, str(EXAMPLE), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["decision"] == "needs_review"


def test_cli_reads_stdin(tmp_path: Path) -> None:
    document = json.dumps({"route": "im", "age_years": 30, "systolic_bp": 120, "diastolic_bp": 70})
    result = run_cli(tmp_path, "-", "--json", stdin=document)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "decision": "eligible",
        "findings": [],
        "ruleset": "builtin-2026.11",
    }


def test_cli_bad_intake_exits_2_naming_each_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "route": "iv",
            "age_years": "forty",
            "systolic_bp": 120,
            "diastolic_bp": 130,
            "pregnant": "no",
            "conditions": ["flu"],
        },
    )
    result = run_cli(tmp_path, path, "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    for line in [
        "age_years: Expected a whole number, got a string.",
        "diastolic_bp: Diastolic pressure (130) must be below the systolic (120).",
        "pregnant: Expected true or false, got a string.",
        "conditions: Unknown condition 'flu'.",
    ]:
        assert line in result.stderr


def test_cli_bad_json_exits_2(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "-", stdin="not json")
    assert result.returncode == 2
    assert "not valid JSON" in result.stderr
