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
        # Bounds on one request's work (prediction.py): a session's dosing within 24 h,
        # at most 2,000 virtual patients and 1,500 times; IM doses bounded like IV ones.
        ([*STANDARD, "--at-min", "40", "--infusion-min", "1441"], "--infusion-min"),
        ([*STANDARD, "--at-min", "40", "--population", "2001"], "--population"),
        ([*STANDARD, "--at-min", ",".join(str(t) for t in range(1501))], "--at-min"),
        (
            ["--route", "im", "--weight-kg", "70", "--dose-mg-per-kg", "5.1", "--at-min", "40"],
            "--dose-mg-per-kg",
        ),
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


# --- doses as given, device times, the threshold, covariates, metabolites ---------------------


def test_doses_as_given_match_the_planned_form_and_superpose() -> None:
    times = ["--at-min", "5,40,80,230"]
    planned = pk_json(*STANDARD, *times)
    given = pk_json("--weight-kg", "70", "--doses", "0-40:35", *times)
    assert given["concentration_ng_per_ml"] == planned["concentration_ng_per_ml"]
    assert given["doses"] == [{"start_min": 0, "end_min": 40, "mg": 35}]
    # A 10 mg bolus plus the infusion is the sum of the two alone (linear kinetics).
    both = pk_json("--weight-kg", "70", "--doses", "0:10,0-40:35", *times)
    bolus = pk_json("--weight-kg", "70", "--doses", "0:10", *times)
    for total, a, b in zip(
        both["concentration_ng_per_ml"],
        bolus["concentration_ng_per_ml"],
        planned["concentration_ng_per_ml"],
        strict=True,
    ):
        assert total == pytest.approx(a + b, abs=0.02)
    # Clements puts a 10 mg bolus in V1 = 1.7522 L/kg × 70 kg: 81.5 ng/mL just after it.
    at_zero = pk_json("--weight-kg", "70", "--doses", "0:10", "--at-min", "0")
    assert at_zero["concentration_ng_per_ml"] == [
        pytest.approx(10 / (1.7522 * 70) * 1000, abs=0.01)
    ]


def test_a_rate_change_is_two_segments() -> None:
    # 0.25 mg/kg over the first 10 min, then 0.25 mg/kg over 30 min: the same dose, but twice
    # the rate for 10 min, so exactly twice the concentration at 10 min (linear kinetics).
    stepped = pk_json("--weight-kg", "70", "--doses", "0-10:17.5,10-40:17.5", "--at-min", "10,40")
    even = pk_json(*STANDARD, "--at-min", "10,40")
    assert stepped["concentration_ng_per_ml"][0] == pytest.approx(
        2 * even["concentration_ng_per_ml"][0], abs=0.02
    )
    # Front-loading leaves more time to distribute and eliminate: lower at the end.
    assert stepped["concentration_ng_per_ml"][1] < even["concentration_ng_per_ml"][1]
    assert stepped["auc_ng_h_per_ml"] == pytest.approx(even["auc_ng_h_per_ml"], rel=1e-3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--doses", "0-40:300,0:100"], "5.71 mg/kg in all: above the 5.0 mg/kg limit"),
        (["--doses", "10:20"], "first dose starts at 0"),
        (["--doses", "0:-5"], "--doses item [1].mg"),
        (["--doses", "0:10,40-20:5"], "--doses item [2].end_min"),
        (["--doses", "0:x"], "--doses item [1].mg"),
        (["--doses", "0-:10"], "not MIN:MG or START-END:MG"),
        (["--doses", "0:10,0-1441:10"], "--doses item [2].end_min"),
        (["--doses", "0:10,1441:10"], "--doses item [2].start_min"),
        (["--route", "im", "--doses", "0:300,60:100"], "5.71 mg/kg in all"),
        (["--doses", "10"], "not MIN:MG or START-END:MG"),
        (["--route", "im", "--doses", "0-5:20"], "an IM injection has no duration"),
        (["--doses", "0:10", "--dose-mg-per-kg", "0.5"], "not both"),
    ],
)
def test_bad_doses_exit_2_naming_the_item(args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("pk", "--weight-kg", "70", *args, "--at-min", "40")
    assert caught.value.returncode == 2
    assert message in str(caught.value)


def test_the_threshold_is_a_choice_and_its_edges_are_exact() -> None:
    default = pk_json(*STANDARD, "--at-min", "40")
    assert default["threshold_ng_per_ml"] == 100
    higher = pk_json(*STANDARD, "--at-min", "40", "--threshold-ng-per-ml", "150")
    assert 0 < higher["time_above_threshold_min"] < default["time_above_threshold_min"]
    # The peak is 177.31 ng/mL at 40 min: just under it, a moment above; just over, never.
    under = pk_json(*STANDARD, "--at-min", "40", "--threshold-ng-per-ml", "177")
    over = pk_json(*STANDARD, "--at-min", "40", "--threshold-ng-per-ml", "178")
    assert 0 < under["time_above_threshold_min"] < 2
    assert under["time_until_below_threshold_min"] == pytest.approx(40, abs=1)
    assert over["time_above_threshold_min"] == 0
    assert over["time_until_below_threshold_min"] == 0


@pytest.mark.parametrize("value", ["0", "-5", "20000", "abc"])
def test_a_bad_threshold_exits_2(value: str) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("pk", *STANDARD, "--at-min", "40", "--threshold-ng-per-ml", value)
    assert caught.value.returncode == 2
    assert "--threshold-ng-per-ml" in str(caught.value)


def test_norketamine_surrogate_is_reported_for_ketamine() -> None:
    result = pk_json(*STANDARD, "--at-min", "0,40,88,230,720")
    nor = result["norketamine_ng_per_ml"]
    assert nor[0] == 0
    assert max(nor) == nor[2]  # peak near 85–90 min (PK ref §5.3)
    assert "surrogate" in result["norketamine_model"]


def test_device_times_as_given() -> None:
    times = ["--at-min", "0,15,30,45,60,120,240"]
    planned = pk_json(*ESKETAMINE, "--dose-mg", "56", *times)
    given = pk_json(*ESKETAMINE, "--device-times-min", "0,5", *times)
    assert given["concentration_ng_per_ml"] == planned["concentration_ng_per_ml"]
    assert given["dose_mg"] == 56
    late = pk_json(*ESKETAMINE, "--device-times-min", "0,20", *times)
    assert late["device_times_min"] == [0, 20]
    assert late["tmax_min"] > planned["tmax_min"]
    assert late["auc_ng_h_per_ml"] == pytest.approx(planned["auc_ng_h_per_ml"], rel=1e-3)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--dose-mg", "84", "--device-times-min", "0,5"], "--device-times-min"),
        (["--device-times-min", "0,5,10,15"], "--device-times-min"),
        (["--device-times-min", "5,10"], "--device-times-min"),
        (["--device-times-min", "0,10,5"], "--device-times-min"),
        (["--device-times-min", "0,5,61"], "--device-times-min"),
        (["--dose-mg", "56", "--variability", "otto2021"], "--variability"),
        (["--dose-mg", "56", "--doses", "0:28"], "--doses"),
    ],
)
def test_bad_device_times_exit_2(args: list[str], field: str) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("pk", *ESKETAMINE, *args, "--at-min", "30")
    assert caught.value.returncode == 2
    assert field in str(caught.value)


def test_esketamine_population_and_the_japanese_covariate() -> None:
    args = [*ESKETAMINE, "--dose-mg", "84", "--at-min", "20,40,120,480"]
    first = pk_json(*args, "--population", "400", "--seed", "5")
    assert first == pk_json(*args, "--population", "400", "--seed", "5")
    assert first["variability"] == "perez-ruixo2021"
    for low, mid, high in zip(
        first["p05"], first["concentration_ng_per_ml"], first["p95"], strict=True
    ):
        assert low < mid < high
    asian = pk_json(*args, "--asian")
    japanese = pk_json(*args, "--japanese")
    # FRn × 1.34 for Japanese subjects (PK ref §1.4): a higher peak than other Asian subjects.
    assert japanese["cmax_ng_per_ml"] > 1.2 * asian["cmax_ng_per_ml"]
    assert "racemic" in japanese["threshold_note"]
