"""`ketamine-clinic score`: JSON and human output, skipped answers, exit status 2 on bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command


def score(*args: str) -> str:
    out = io.StringIO()
    call_command("score", *args, stdout=out)
    return out.getvalue()


def score_json(instrument: str, answers: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(score(instrument, "--answers", answers, "--json"))
    return result


def test_phq9_json() -> None:
    # 2+2+2+2+2+0+0+0+1 = 11 → moderate; item 9 = 1 → critical
    result = score_json("phq9", "2,2,2,2,2,0,0,0,1")
    assert result["instrument"] == "phq9"
    assert result["total"] == 11
    assert result["severity"] == "moderate"
    assert result["critical"] is True
    assert result["critical_items"] == [9]


def test_phq9_with_difficulty_item() -> None:
    result = score_json("phq9", "0,0,0,0,0,0,0,0,0,2")
    assert (result["total"], result["critical"], result["difficulty"]) == (0, False, 2)


def test_pcl5_adds_clusters_and_provisional_diagnosis() -> None:
    result = score_json("pcl5", "2,0,0,0,0,2,0,2,2,0,0,0,0,0,2,2,0,0,0,0")
    assert result["total"] == 12
    assert result["clusters"] == {"B": 2, "C": 2, "D": 4, "E": 4}
    assert result["provisional_ptsd"] is True
    assert result["above_cut_point"] is False
    assert result["severity"] is None


def test_qids_adds_domains() -> None:
    result = score_json("qids-sr16", "0,3,1,2,1,2,0,1,0,1,1,2,1,1,1,3")
    assert result["domains"]["sleep"] == 3
    assert result["domains"]["psychomotor"] == 3
    assert result["total"] == 15  # 3+1+2+1+1+2+1+1+3
    assert result["critical"] is True  # item 12 = 2


@pytest.mark.parametrize(
    ("answers", "risk"),
    [
        ("0,0,-,-,-,0,-", "none"),
        ("1,0,,,,0,", "low"),  # empty places for skipped items
        ("1,1,1,0,0,0,-", "moderate"),
        ("0,0,-,-,-,1,1", "high"),
    ],
)
def test_cssrs_risk_with_skipped_answers(answers: str, risk: str) -> None:
    result = score_json("cssrs-screener", answers)
    assert result["risk"] == risk
    assert result["total"] is None
    assert result["critical"] is (risk in ("moderate", "high"))


def test_human_line() -> None:
    assert score("gad7", "--answers", "3,2,2,2,2,2,2").strip() == "GAD-7: total 15/21, severe"
    line = score("phq9", "--answers", "0,0,0,0,0,0,0,0,2").strip()
    assert line == "PHQ-9: total 2/27, minimal, CRITICAL (item 9)"
    line = score("cssrs-screener", "--answers", "1,1,0,1,0,0,-").strip()
    assert line == "C-SSRS screener: risk high, CRITICAL (item 4)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--answers", "1"], "Unknown instrument 'nope'"),
        (["phq9", "--answers", "1,2,3"], "PHQ-9 has 10 items; 3 answers were given"),
        (["phq9", "--answers", "0,0,0,0,4,0,0,0,0"], "Item 5: 4 is not one of 0, 1, 2, 3"),
        (["gad7", "--answers", "0,0,x,0,0,0,0"], "Item 3: 'x' is not a whole number"),
        (["cssrs-screener", "--answers", "0,0,1,-,-,0,-"], "Item 3 is skipped"),
        (["cssrs-screener", "--answers", "0,1,-,-,-,0,-"], "Item 3 is not answered"),
    ],
)
def test_bad_input_is_a_command_error_with_status_2(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message) as caught:
        call_command("score", *args, stdout=io.StringIO())
    assert caught.value.returncode == 2


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ketamine_clinic.cli", "score", *args],
        capture_output=True,
        text=True,
        env={"KETAMINE_CLINIC_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_cli_prints_json(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "madrs", "--answers", "2,2,2,2,2,2,2,2,2,4", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["total"], data["severity"], data["critical"]) == (22, "moderate", True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["phq9", "--answers", "0,0,0,0,4,0,0,0,0"], "Item 5"),
        (["madrs", "--answers", "1,1"], "MADRS has 10 items; 2 answers were given"),
        (["unknown", "--answers", "1"], "Unknown instrument"),
    ],
)
def test_cli_bad_input_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_cli(tmp_path, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""
