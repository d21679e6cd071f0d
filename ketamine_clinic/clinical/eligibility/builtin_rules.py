"""The built-in eligibility rules: data for the engine in `rules.py`, each with its source.

How the built-in levels were read from the sources (docs/clinical/reference.md). Where the reference
does not settle a level, the more conservative one is used and the rule's `rationale` says so:
- "contraindication", "do not use", "avoid", "not recommended", and the present state a trial
  excluded (current psychosis or mania) -> contraindicated;
- "assess carefully", "weigh the risk", label precautions, and a rule needed to exclude a
  contraindication (a missing blood pressure) -> prescriber_review;
- "use with monitoring", and facts that only predict a larger effect -> caution.
Routes: every built-in rule applies to every route. The esketamine (Spravato) contraindications
are borrowed by IV clinics (§1.2) and the racemic ketamine label contraindicates ketamine wherever
a rise in blood pressure would be a serious hazard (§1.2); the racemic label contraindications
(Swiss label, §1.2) rest on that same blood-pressure rise, which the Spravato PI also warns of
(§2.3). No source exempts a route, so none is exempted. In statements read to a patient,
"ketamine" includes esketamine.

No built-in rule reads the heart rate: the "HR >110" hold number is unconfirmed
(docs/clinical/reference.md §1.6, §6). A clinic may add one as a "number_above" rule. Lamotrigine is
not read either (clinical.medications: its effect is not confirmed in our sources).
"""

from __future__ import annotations

from collections.abc import Sequence

from .rules import ALL_ROUTES, Rule, RuleSet

BUILTIN_VERSION = "builtin-2026.11"

_PI_CONTRA = (
    "docs/clinical/reference.md §2.4: Spravato US PI contraindications (usmedicine.com PI reprint "
    "p.30; wcmedicine.com)"
)
_BORROWED = (
    "docs/clinical/reference.md §1.2: esketamine contraindications are often borrowed by IV "
    "clinics; racemic ketamine label contraindicates it where a significant rise in BP would be a "
    "serious hazard (docslib.org/doc/4818792, FSHP 2018 quoting the package insert)"
)
_BORROWED_WHY = (
    "Esketamine label contraindication, applied to every route: IV clinics borrow it (§1.2) and "
    "the racemic ketamine label contraindicates ketamine wherever a rise in blood pressure would "
    "be a serious hazard (§1.2)."
)
_SWISS = (
    "docs/clinical/reference.md §1.2: Swiss ketamine label contraindications (ch.oddb.org fachinfo "
    "reg 67199)"
)
_SWISS_WHY = (
    "Racemic ketamine label contraindication (Swiss label), applied to every route: the Spravato "
    "PI says not to give esketamine where a rise in blood pressure poses a serious risk (§2.3), "
    "and no source exempts a route (conservative)."
)
_ASRA = (
    "docs/clinical/reference.md §1.2: ASRA/AAPM/ASA 2018 chronic-pain consensus (Medscape summary, "
    "scribd 410560795 / doctoryg.blogspot.com)"
)
_TRIALS = "docs/clinical/reference.md §1.2: typical research exclusions (PMC10812090 Table 1)"
_PI_PRECAUTIONS = (
    "docs/clinical/reference.md §2.4: Spravato PI precautions (120ty.net PI; medicinenet.com)"
)


def _condition(
    rule_id: str,
    conditions: Sequence[str],
    level: str,
    statement: str,
    source: str,
    rationale: str,
) -> Rule:
    return Rule(
        id=rule_id,
        statement=statement,
        routes=ALL_ROUTES,
        level=level,
        source=source,
        kind="condition",
        params={"conditions": list(conditions)},
        rationale=rationale,
    )


def _medication(
    rule_id: str, classes: Sequence[str], level: str, statement: str, source: str, why: str
) -> Rule:
    return Rule(
        id=rule_id,
        statement=statement,
        routes=ALL_ROUTES,
        level=level,
        source=source,
        kind="medication_class",
        params={"classes": list(classes)},
        rationale=why,
    )


BUILTIN_RULES: tuple[Rule, ...] = (
    # --- Esketamine label contraindications, borrowed for every route (§2.4, §1.2) ---
    _condition(
        "aneurysmal_vascular_disease",
        ["aneurysmal_vascular_disease"],
        "contraindicated",
        "Ketamine must not be given to people with an aneurysm (a bulging, weakened blood "
        "vessel), because it raises blood pressure.",
        f"{_PI_CONTRA}; {_BORROWED}",
        _BORROWED_WHY,
    ),
    _condition(
        "arteriovenous_malformation",
        ["arteriovenous_malformation"],
        "contraindicated",
        "Ketamine must not be given to people with an arteriovenous malformation, because it "
        "raises blood pressure.",
        f"{_PI_CONTRA}; {_BORROWED}",
        _BORROWED_WHY,
    ),
    _condition(
        "intracerebral_haemorrhage",
        ["intracerebral_haemorrhage"],
        "contraindicated",
        "Ketamine must not be given to people who have had bleeding inside the brain, because "
        "it raises blood pressure.",
        f"{_PI_CONTRA}; {_BORROWED}",
        _BORROWED_WHY,
    ),
    _condition(
        "ketamine_hypersensitivity",
        ["ketamine_hypersensitivity"],
        "contraindicated",
        "Ketamine must not be given to people who have had an allergic reaction to ketamine or "
        "esketamine.",
        f"{_PI_CONTRA} (esketamine, ketamine or excipients); docs/clinical/reference.md §1.2: "
        "racemic ketamine label (docslib.org/doc/4818792) and Swiss ketamine label (ch.oddb.org)",
        "A contraindication in every label in the reference; every route.",
    ),
    # --- Blood pressure (§1.6, §2.3) ---
    Rule(
        id="bp_above_180_100",
        statement="Ketamine must not be given while resting blood pressure is above the limit "
        "at which it is contraindicated.",
        routes=ALL_ROUTES,
        level="contraindicated",
        source="docs/clinical/reference.md §1.6 and §1.2: Swiss ketamine label, "
        "uncontrolled/untreated hypertension with resting BP >180/100 mmHg (ch.oddb.org fachinfo "
        "reg 67199)",
        kind="bp_above",
        params={
            "systolic_key": "bp_contraindicated_systolic",
            "diastolic_key": "bp_contraindicated_diastolic",
        },
        rationale="Swiss racemic label number, applied to every route (the Spravato PI forbids "
        "dosing where a BP rise poses a serious risk, §2.3). Fires if either pressure is above "
        "its limit. Clinic-configurable (§1.6).",
    ),
    Rule(
        id="bp_above_140_90",
        statement="When blood pressure is raised, a prescriber must weigh the "
        "short rise in blood pressure that ketamine causes against its benefit.",
        routes=ALL_ROUTES,
        level="prescriber_review",
        source="docs/clinical/reference.md §1.6 and §2.3: Spravato US PI, baseline BP >140/90 "
        "weigh the risk (droracle citing the PI; PsychBridge procedures reference; exact PI "
        "sentence unconfirmed verbatim), widely borrowed for IV",
        kind="bp_above",
        params={"systolic_key": "bp_review_systolic", "diastolic_key": "bp_review_diastolic"},
        rationale="'Weigh the risk' is a prescriber's judgement: prescriber_review. Borrowed "
        "for IV/IM/oral as §1.6 records. Fires if either pressure is above its limit; above "
        "180/100 the contraindication fires as well. Clinic-configurable (§1.6).",
    ),
    Rule(
        id="bp_not_recorded",
        statement="Blood pressure must be measured before ketamine is given, to rule out a "
        "level at which it must not be given.",
        routes=ALL_ROUTES,
        level="prescriber_review",
        source="docs/clinical/reference.md §2.3: Spravato PI, assess BP before dosing; "
        "docs/clinical/reference.md §1.1: APA consensus summary, baseline BP before dosing "
        "(lopezpsychiatry.com, secondary)",
        kind="missing",
        params={"fields": ["systolic_bp", "diastolic_bp"]},
        rationale="The sources require a baseline BP but give no level for a screening "
        "without one. Without it the 180/100 contraindication cannot be ruled out, so the "
        "more conservative level (prescriber_review, not caution) is used.",
    ),
    # --- Cardiovascular and cerebrovascular disease (§1.2, §1.5, §4.2) ---
    _condition(
        "unstable_cardiovascular_disease",
        ["unstable_cardiovascular_disease"],
        "contraindicated",
        "Ketamine must not be given while heart or circulation disease is unstable or poorly "
        "controlled.",
        f"{_ASRA}: do not use with poorly controlled cardiovascular disease; {_TRIALS}: "
        "unstable medical illness; racemic ketamine label (§1.2, docslib.org/doc/4818792)",
        "'Do not use' -> contraindicated; every route (the BP rise is shared, §2.3).",
    ),
    _condition(
        "unstable_cerebrovascular_disease",
        ["unstable_cerebrovascular_disease"],
        "contraindicated",
        "Ketamine must not be given while disease of the brain's blood vessels is unstable, "
        "because it raises blood pressure.",
        f"{_TRIALS}: unstable cerebrovascular disease; {_SWISS}: patients for whom a BP rise is "
        "a serious hazard",
        "A trial exclusion; the reference does not settle a level, so the more conservative "
        "(contraindicated), supported by the Swiss label's BP-hazard contraindication.",
    ),
    _condition(
        "hypertension_uncontrolled",
        ["hypertension_uncontrolled"],
        "contraindicated",
        "Ketamine must not be given while high blood pressure is untreated or not under control.",
        f"{_SWISS}: uncontrolled/untreated arterial hypertension; {_ASRA}: poorly controlled "
        f"cardiovascular disease; {_TRIALS}: uncontrolled hypertension",
        "The Swiss label ties the contraindication to a resting BP >180/100 (checked by "
        "bp_above_180_100); a clinician-recorded uncontrolled hypertension is contraindicated "
        "at any reading (the more conservative reading; ASRA 'poorly controlled "
        "cardiovascular disease').",
    ),
    _condition(
        "stroke_history",
        ["stroke_history"],
        "contraindicated",
        "Ketamine must not be given to people who have had a stroke, because the rise in "
        "blood pressure it causes is a serious hazard for them.",
        f"{_SWISS}: patients for whom a BP rise is a serious hazard (e.g. prior stroke)",
        _SWISS_WHY,
    ),
    _condition(
        "heart_disease",
        ["coronary_artery_disease", "heart_failure"],
        "prescriber_review",
        "Ketamine raises blood pressure and heart rate; with heart disease, a prescriber must "
        "judge whether that is safe.",
        "docs/clinical/reference.md §1.2: racemic ketamine label, contraindicated where a "
        "significant BP rise would be a serious hazard (docslib.org/doc/4818792); "
        "docs/clinical/reference.md §4.2: cardiac decompensation in catecholamine-depleted "
        "patients (pfizermedicalinformation.com)",
        "Whether the BP rise is a serious hazard in stable heart disease is the prescriber's "
        "judgement, so prescriber_review; unstable disease is contraindicated by "
        "unstable_cardiovascular_disease.",
    ),
    _condition(
        "arrhythmia",
        ["arrhythmia"],
        "prescriber_review",
        "Ketamine can change heart rhythm; with an irregular heartbeat, a prescriber must "
        "judge whether it is safe.",
        f"{_TRIALS}: significant arrhythmia; docs/clinical/reference.md §4.2: arrhythmia seen with "
        "ketamine (edrugswiki label; pfizermedicalinformation.com)",
        "A trial exclusion for 'significant' arrhythmia only; the prescriber judges "
        "significance, so prescriber_review rather than caution.",
    ),
    _condition(
        "hypertension",
        ["hypertension"],
        "caution",
        "People with high blood pressure have larger rises in blood pressure during ketamine "
        "treatment, so it is checked more closely.",
        "docs/clinical/reference.md §1.5: Yale 2024 chart review, history of hypertension "
        "predicted BP surges (doi 10.1016/j.genhosppsych.2024.07.001); Emory series, hypertensive "
        "patients peaked higher (moreblossom.com summary of Dunlop et al.)",
        "No source contraindicates controlled hypertension; the sources only predict a larger "
        "rise, so caution.",
    ),
    # --- Mental health (§1.2, §2.4, §4.1) ---
    _condition(
        "psychosis_current",
        ["psychosis_current"],
        "contraindicated",
        "Ketamine must not be given during psychosis, because it can make psychotic symptoms "
        "worse.",
        f"{_TRIALS}: current psychosis; {_ASRA}: avoid in poorly controlled psychosis; "
        f"{_PI_PRECAUTIONS}: psychosis; docs/clinical/reference.md §4.1: ketamine raises positive "
        "symptom scores (Pomarol-Clotet; Xu 2015)",
        "'Avoid' and a trial exclusion -> contraindicated; every route.",
    ),
    _condition(
        "mania_current",
        ["mania_current"],
        "contraindicated",
        "Ketamine must not be given during mania or hypomania.",
        f"{_TRIALS}: current mania",
        "Only a trial exclusion; the reference does not settle a level, so the more "
        "conservative (contraindicated).",
    ),
    _condition(
        "psychotic_disorder_history",
        ["psychosis_history", "schizophrenia"],
        "prescriber_review",
        "Ketamine can bring back psychotic symptoms; a prescriber must assess this carefully "
        "first.",
        f"{_PI_PRECAUTIONS}: psychosis (assess carefully); docs/clinical/reference.md §4.1: "
        "psychotomimetic effects (Pomarol-Clotet, BJPsych; Xu 2015)",
        "'Assess carefully' is a prescriber's task: prescriber_review (the more conservative "
        "of review and caution).",
    ),
    _condition(
        "bipolar_disorder",
        ["bipolar_disorder"],
        "prescriber_review",
        "With bipolar disorder, a prescriber must check that there is no mania or hypomania "
        "before ketamine is given.",
        f"{_TRIALS}: current mania; docs/clinical/reference.md §4.1: NIMH pooled analysis included "
        "bipolar patients (Acevedo-Diaz et al., J Affect Disord 2019/2020)",
        "Bipolar depression is treated with ketamine in the sources (§4.1), so not "
        "contraindicated; current mania is (mania_current). The reference gives no level for "
        "the disorder itself: prescriber_review, the more conservative of review and caution.",
    ),
    # --- Substance use (§1.2, §2.4, §4.2) ---
    Rule(
        id="substance_use_current",
        statement="Ketamine treatment must not be started during a current substance use disorder.",
        routes=ALL_ROUTES,
        level="contraindicated",
        source=f"{_ASRA}: no serial infusions with active substance abuse; {_TRIALS}; "
        f"{_PI_PRECAUTIONS}: substance use disorder",
        kind="substance_use",
        params={"values": ["current"]},
        rationale="Treatment is a series (§1.4), which ASRA rules out with active substance "
        "abuse: contraindicated. The esketamine PI lists it as a precaution only; the more "
        "conservative level is applied to every route.",
    ),
    Rule(
        id="substance_use_past",
        statement="Ketamine can be misused; after a substance use disorder, a prescriber must "
        "weigh that risk first.",
        routes=ALL_ROUTES,
        level="prescriber_review",
        source=f"{_PI_PRECAUTIONS}: substance use disorder history; docs/clinical/reference.md "
        "§4.2: abuse and dependence, Schedule III (Spravato PI §5.3)",
        kind="substance_use",
        params={"values": ["past"]},
        rationale="A label precaution -> prescriber_review (the more conservative of review "
        "and caution).",
    ),
    _condition(
        "ketamine_or_pcp_misuse",
        ["ketamine_or_pcp_misuse"],
        "contraindicated",
        "Ketamine treatment must not be given to people who use or misuse ketamine or PCP "
        "recreationally.",
        f"{_TRIALS}: more-than-rare recreational ketamine/PCP use; docs/clinical/reference.md "
        "§4.2: abuse and dependence (Spravato PI §5.3), bladder and bile-duct damage with "
        "repeated misuse (edrugswiki label; pfizermedicalinformation.com)",
        "A trial exclusion with label-level harms from misuse; the reference does not settle "
        "a level, so the more conservative (contraindicated).",
    ),
    # --- Pregnancy and breastfeeding (§1.2, §1.2 Swiss label, §2.4) ---
    Rule(
        id="pregnancy",
        statement="Ketamine must not be given during pregnancy, because it may harm the "
        "unborn baby.",
        routes=ALL_ROUTES,
        level="contraindicated",
        source=f"{_PI_PRECAUTIONS}: pregnancy, may cause fetal harm; {_TRIALS}: pregnancy",
        kind="pregnant",
        params={},
        rationale="The PI warns of fetal harm without naming a level; a trial exclusion. The "
        "more conservative level (contraindicated) for an elective treatment.",
    ),
    Rule(
        id="breastfeeding",
        statement="Ketamine treatment is not recommended while breastfeeding.",
        routes=ALL_ROUTES,
        level="contraindicated",
        source=f"{_PI_PRECAUTIONS}: breastfeeding not recommended; {_TRIALS}: lactation",
        kind="breastfeeding",
        params={},
        rationale="'Not recommended' is read as 'avoid' (as for severe hepatic impairment), "
        "and lactation is a trial exclusion: contraindicated, the more conservative level.",
    ),
    _condition(
        "pre_eclampsia",
        ["pre_eclampsia"],
        "contraindicated",
        "Ketamine must not be given with pre-eclampsia or eclampsia.",
        f"{_SWISS}: pre-eclampsia/eclampsia",
        _SWISS_WHY,
    ),
    # --- Other label and guideline items (§1.2, §2.3, §4.2) ---
    _condition(
        "hyperthyroidism_untreated",
        ["hyperthyroidism_untreated"],
        "contraindicated",
        "Ketamine must not be given while an overactive thyroid is untreated.",
        f"{_SWISS}: untreated hyperthyroidism",
        _SWISS_WHY,
    ),
    _condition(
        "hepatic_impairment_severe",
        ["hepatic_impairment_severe"],
        "contraindicated",
        "Ketamine should be avoided with severe liver impairment.",
        f"{_ASRA}: avoid with severe hepatic impairment; docs/clinical/reference.md §4.2: "
        "drug-induced liver injury warning (pfizermedicalinformation.com)",
        "'Avoid' -> contraindicated; every route.",
    ),
    _condition(
        "hepatic_impairment_moderate",
        ["hepatic_impairment_moderate"],
        "caution",
        "With moderate liver impairment, ketamine is given with closer monitoring.",
        f"{_ASRA}: moderate hepatic impairment, use with monitoring",
        "'Use with monitoring' -> caution.",
    ),
    _condition(
        "raised_intracranial_pressure",
        ["raised_intracranial_pressure"],
        "contraindicated",
        "Ketamine should be avoided when pressure inside the skull is raised.",
        f"{_ASRA}: elevated intracranial pressure, avoid or low dose with extreme caution (grade "
        "C); docs/clinical/reference.md §2.3: Spravato PI, do not give if a rise in intracranial "
        "pressure poses a serious risk",
        "'Avoid or low dose with extreme caution' leaves the level open: the more conservative "
        "(contraindicated).",
    ),
    _condition(
        "raised_intraocular_pressure",
        ["raised_intraocular_pressure"],
        "contraindicated",
        "Ketamine should be avoided when pressure inside the eye is raised, because it raises "
        "eye pressure slightly.",
        f"{_ASRA}: elevated intraocular pressure, avoid or low dose with extreme caution (grade "
        "C); docs/clinical/reference.md §4.2: slight rise in intraocular pressure (edrugswiki "
        "label)",
        "'Avoid or low dose with extreme caution' leaves the level open: the more conservative "
        "(contraindicated).",
    ),
    _condition(
        "sleep_apnoea",
        ["sleep_apnoea"],
        "prescriber_review",
        "Ketamine can slow breathing; with sleep apnoea, a prescriber must judge whether it is "
        "safe.",
        "docs/clinical/reference.md §1.2: CPSBC draft standards require sleep-apnoea screening "
        "before parenteral ketamine (katacanada.org summary, jurisdiction-specific); "
        "docs/clinical/reference.md §2.3 and §4.2: respiratory depression "
        "(medicinesresources.nhs.uk SPS note; medlibrary.org PLR label §5.3–5.4)",
        "The sources ask for screening but set no level; the more conservative "
        "(prescriber_review); every route, as respiratory depression is reported for "
        "esketamine too (§2.3).",
    ),
    _condition(
        "bladder_symptoms",
        ["bladder_symptoms"],
        "caution",
        "Ketamine can cause bladder problems, so existing bladder symptoms are recorded and "
        "watched.",
        "docs/clinical/reference.md §4.2: severe bladder symptoms incl. cystitis with chronic "
        "use/abuse (edrugswiki label); docs/clinical/reference.md §2.3: more lower-urinary-tract "
        "symptoms with esketamine (120ty.net PI §5.9)",
        "A label warning about chronic use, not a contraindication: caution (baseline record).",
    ),
    # --- Interacting medication classes (§2.4, §2.5, §1.2) ---
    _medication(
        "benzodiazepine",
        ["benzodiazepine"],
        "caution",
        "Benzodiazepines add to the drowsiness ketamine causes, and trials of IV ketamine left "
        "out people taking more than 3 mg of lorazepam (or the same strength of another "
        "benzodiazepine) a day; the prescriber checks the dose.",
        f"{_PI_PRECAUTIONS}: CNS depressants increase sedation; docs/clinical/reference.md §2.5: "
        f"REMS Patient Monitoring Form asks about benzodiazepines; {_TRIALS}: benzodiazepine > 3 "
        "mg lorazepam-equivalent/day",
        "Caution as briefed; sedation is monitored every session (§1.5, §2.3). That "
        "benzodiazepines blunt the antidepressant response is not stated in the reference, so "
        "the statement does not claim it. The intake has no dose, so the 3 mg trial limit is "
        "shown for the prescriber to check.",
    ),
    _medication(
        "other_sedative",
        ["other_sedative"],
        "caution",
        "Sedative medicines add to the drowsiness ketamine causes.",
        f"{_PI_PRECAUTIONS}: CNS depressants increase sedation; docs/clinical/reference.md §2.5: "
        "REMS Patient Monitoring Form asks about non-benzodiazepine sedative-hypnotics",
        "A label precaution about sedation, which is monitored every session (§1.5, §2.3): "
        "caution, as for benzodiazepines.",
    ),
    _medication(
        "opioid",
        ["opioid"],
        "prescriber_review",
        "Opioids add to the drowsiness ketamine causes and can slow breathing; a prescriber "
        "must weigh this first.",
        f"{_PI_PRECAUTIONS}: CNS depressants increase sedation; docs/clinical/reference.md §2.5: "
        "newer REMS Patient Monitoring Form adds opioids; docs/clinical/reference.md §2.3: "
        f"respiratory depression reports led to a US label update; {_TRIALS}: more-than-rare "
        "opioid use",
        "The sources do not settle caution or review; the more conservative "
        "(prescriber_review), as opioids also depress breathing and were added to the REMS "
        "form after respiratory-depression reports (an inference from §2.3 and §2.5).",
    ),
    _medication(
        "maoi",
        ["maoi"],
        "prescriber_review",
        "MAO inhibitors can raise blood pressure further with ketamine; a prescriber must "
        "weigh this first.",
        f"{_PI_PRECAUTIONS}: MAOIs increase blood pressure; docs/clinical/reference.md §2.5: REMS "
        "Patient Monitoring Form",
        "A label precaution on blood pressure: prescriber_review, as briefed.",
    ),
    _medication(
        "psychostimulant",
        ["psychostimulant"],
        "prescriber_review",
        "Stimulant medicines can raise blood pressure further with ketamine; a prescriber must "
        "weigh this first.",
        f"{_PI_PRECAUTIONS}: psychostimulants increase blood pressure; docs/clinical/reference.md "
        "§2.5: REMS Patient Monitoring Form",
        "A label precaution on blood pressure: prescriber_review, as briefed.",
    ),
    # --- Indication and age (§1.2, §2.1, §2.2, §2.3) ---
    Rule(
        id="trd_not_met",
        statement="Ketamine for depression is usually offered after several adequate "
        "antidepressant treatments have not worked; the prescriber confirms the indication.",
        routes=ALL_ROUTES,
        level="caution",
        source="docs/clinical/reference.md §1.2: TRD = non-response to >=2 adequate antidepressant "
        "trials in the current episode (PMC11193313; "
        "link.springer.com/10.1007/s40263-023-01026-3); docs/clinical/reference.md §1.1: CANMAT, "
        "IV ketamine third-line (Swainson et al. 2021)",
        kind="failed_trials_below",
        params={"key": "trd_min_failed_trials"},
        rationale="Only for a depressive indication. Fires when fewer trials are recorded and "
        "also when the number is not recorded (the definition cannot be shown to be met); as a "
        "caution it never changes the decision. Esketamine is also indicated for MDSI (§2.1), "
        "where TRD is not required — another reason this is a caution, not a review.",
    ),
    Rule(
        id="under_adult_age",
        statement="Ketamine treatment for mood disorders is studied and labelled in adults; "
        "for a younger patient, a prescriber must decide.",
        routes=ALL_ROUTES,
        level="prescriber_review",
        source="docs/clinical/reference.md §2.1: Spravato indicated in adults; "
        "docs/clinical/reference.md §1.1: CANMAT task force, adult MDD (Swainson et al. 2021); "
        "docs/clinical/reference.md §4.2: paediatric neurotoxicity warning (medlibrary.org PLR "
        "label §5.5)",
        kind="number_below",
        params={"field": "age_years", "key": "adult_age_years"},
        rationale="The sources say 'adults' without an age: the threshold (default 18) is a "
        "clinic setting. Off-label or outside the studied population -> prescriber_review.",
    ),
    Rule(
        id="age_65_or_over",
        statement="In older adults, blood pressure rises more with ketamine, so it is checked more "
        "closely (and esketamine may start at a lower dose).",
        routes=ALL_ROUTES,
        level="caution",
        source="docs/clinical/reference.md §2.3: Spravato PI BP outlier table, adults >=65 vs <65 "
        "(usmedicine.com PI reprint p.35; re-verify); docs/clinical/reference.md §2.2: non-US "
        "label, >=65 start 28 mg (MIMS HK); docs/clinical/reference.md §1.5: age predicted BP "
        "surges (Yale 2024)",
        kind="number_at_least",
        params={"field": "age_years", "key": "older_adult_age_years"},
        rationale="A larger expected effect, not a contraindication: caution.",
    ),
)

DEFAULT_RULESET = RuleSet(version=BUILTIN_VERSION, rules=BUILTIN_RULES)
