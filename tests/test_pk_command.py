"""`ketamine-clinic pk`: JSON output, IM, Domino, population, exit status 2 on bad input."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

STANDARD = ["--weight-kg", "70", "--dose-mg-per-kg", "0.5"]


def pk_json(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("pk", *args, "--json", stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_iv_standard_infusion() -> None:
    result = pk_json(
        "--drug",
        "ketamine",
        "--route",
        "iv",
        *STANDARD,
        "--infusion-min",
        "40",
        "--at-min",
        "40,80,110,230",
    )
    assert result["model"] == "clements250"
    assert result["times_min"] == [40, 80, 110, 230]
    assert result["concentration_ng_per_ml"][0] == pytest.approx(177.3, abs=0.5)
    assert result["cmax_ng_per_ml"] == pytest.approx(177.3, abs=0.5)
    assert result["tmax_min"] == 40
    assert result["auc_ng_h_per_ml"] == pytest.approx(
        35 / (0.0109 * 1.7522 * 70) * 1000 / 60, rel=0.005
    )
    assert result["concentration_ng_per_ml"] == sorted(
        result["concentration_ng_per_ml"], reverse=True
    )


def test_domino_and_im() -> None:
    domino = pk_json("--model", "domino", *STANDARD, "--at-min", "40,60")
    assert domino["model"] == "domino"
    assert domino["concentration_ng_per_ml"] == pytest.approx([240, 55], abs=1)
    im = pk_json("--route", "im", *STANDARD, "--at-min", "0,15,60")
    assert im["model"] == "clements250-im"
    assert im["concentration_ng_per_ml"][0] == 0
    assert 5 <= im["tmax_min"] <= 20


def test_population_adds_percentiles_and_is_reproducible() -> None:
    args = [*STANDARD, "--at-min", "20,40,80", "--population", "300", "--seed", "3"]
    first, again = pk_json(*args), pk_json(*args)
    assert first == again
    for low, mid, high in zip(
        first["p05"], first["concentration_ng_per_ml"], first["p95"], strict=True
    ):
        assert low <= mid <= high


def test_human_output() -> None:
    out = io.StringIO()
    call_command("pk", *STANDARD, "--at-min", "40", stdout=out)
    assert out.getvalue().startswith("clements250: 40 min 177.31 ng/mL")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--weight-kg", "20", "--dose-mg-per-kg", "0.5", "--at-min", "40"], "--weight-kg"),
        (["--weight-kg", "351", "--dose-mg-per-kg", "0.5", "--at-min", "40"], "--weight-kg"),
        (["--weight-kg", "abc", "--dose-mg-per-kg", "0.5", "--at-min", "40"], "--weight-kg"),
        (["--weight-kg", "70", "--dose-mg-per-kg", "0", "--at-min", "40"], "--dose-mg-per-kg"),
        (["--weight-kg", "70", "--dose-mg-per-kg", "-1", "--at-min", "40"], "--dose-mg-per-kg"),
        (["--weight-kg", "70", "--dose-mg-per-kg", "5.1", "--at-min", "40"], "--dose-mg-per-kg"),
        ([*STANDARD, "--at-min", "80,40"], "--at-min"),
        ([*STANDARD, "--at-min=-5,40"], "--at-min"),
        ([*STANDARD, "--at-min", "40,x"], "--at-min"),
        ([*STANDARD, "--at-min", "40", "--model", "nope"], "--model"),
        ([*STANDARD, "--at-min", "40", "--route", "oral"], "--drug/--route"),
        ([*STANDARD, "--at-min", "40", "--drug", "aspirin"], "--drug/--route"),
        ([*STANDARD, "--at-min", "40", "--infusion-min", "-1"], "--infusion-min"),
    ],
)
def test_bad_input_exits_2(args: list[str], field: str) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("pk", *args)
    assert caught.value.returncode == 2
    assert field in str(caught.value)


ESKETAMINE = ["--drug", "esketamine", "--route", "intranasal"]


def test_esketamine_intranasal_56_mg() -> None:
    result = pk_json(*ESKETAMINE, "--dose-mg", "56", "--at-min", "0,15,30,45,60,120,240,720,1440")
    assert result["model"] == "perez-ruixo2021"
    assert result["devices"] == 2
    assert result["device_times_min"] == [0, 5]  # the 2nd device 5 min after the 1st
    conc = result["concentration_ng_per_ml"]
    assert conc[0] == 0
    assert 20 <= result["tmax_min"] - 5 <= 40  # PK ref §3.2: 20–40 min after the last spray
    assert max(conc) <= result["cmax_ng_per_ml"]
    assert conc[-3:] == sorted(conc[-3:], reverse=True)
    assert len(result["noresketamine_ng_per_ml"]) == 9


def test_esketamine_covariates_raise_exposure() -> None:
    args = [*ESKETAMINE, "--dose-mg", "84", "--at-min", "60"]
    base = pk_json(*args)
    older = pk_json(*args, "--age-years", "75")
    asian = pk_json(*args, "--asian")
    assert older["auc_ng_h_per_ml"] > base["auc_ng_h_per_ml"]
    assert asian["auc_ng_h_per_ml"] > base["auc_ng_h_per_ml"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--dose-mg", "70"], "--dose-mg"),
        (["--dose-mg", "112"], "--dose-mg"),
        (["--dose-mg", "-28"], "--dose-mg"),
        ([], "--dose-mg"),
        (["--dose-mg", "56", "--dose-mg-per-kg", "0.5"], "--dose-mg-per-kg"),
        (["--dose-mg", "56", "--age-years", "90"], "--age-years"),
    ],
)
def test_bad_esketamine_dose_exits_2(args: list[str], field: str) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("pk", *ESKETAMINE, *args, "--at-min", "30")
    assert caught.value.returncode == 2
    assert field in str(caught.value)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--dose-mg-per-kg", "0.5"], "--weight-kg"),
        (["--weight-kg", "70"], "--dose-mg-per-kg"),
        ([*STANDARD, "--dose-mg", "28"], "--dose-mg"),
        ([*STANDARD, "--asian"], "--asian"),
    ],
)
def test_ketamine_still_needs_weight_and_dose_per_kg(args: list[str], field: str) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("pk", *args, "--at-min", "40")
    assert caught.value.returncode == 2
    assert field in str(caught.value)
