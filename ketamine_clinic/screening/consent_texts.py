"""The product's starting consent texts, in plain language, one per route.

Facts and their sources (docs/clinical/reference.md): effect within hours, fading over days to about
two weeks (DESIGN.md, §1.4: median relapse 18 days after a series, Murrough 2013); side effects
(§4.1: feeling strange or "spacey", dissociation, dizziness, headache, nausea, blurred vision,
anxiety; mostly gone within 2 hours; blood-pressure rise, §1.5); rare serious effects (§4.2:
breathing problems, emergence reactions; bladder and liver problems with repeated use); Schedule
III and misuse risk (§4.2, §5); no driving until the next day after a restful sleep and a ride
home (§1.8; Spravato PI); long-term effects not well known (§4.1, Short et al.). A clinic must
review these texts with its own medical and legal advisers; changing one makes a new version.
"""

from __future__ import annotations

_COMMON_BENEFIT = """\
What it may do for you
Many people feel better within hours or days of a treatment, but not everyone does: for some
people it helps a lot, for some a little, and for some not at all. The benefit often fades over
days to about two weeks, which is why ketamine is usually given as a series of treatments
followed, for some people, by occasional "booster" treatments. We will ask you to fill in short
questionnaires so that we can see together whether it is working.
"""

_COMMON_EFFECTS = """\
What you may feel during and after a treatment
Common effects are feeling strange, "spacey" or detached from your body or surroundings
(dissociation), changes in how things look or sound, dizziness, drowsiness, headache, nausea,
blurred vision and anxiety. They usually start soon after the dose and are mostly gone within
about two hours. Your blood pressure and heart rate usually rise for a while; we check them
before, during and after each treatment, and may delay or stop a treatment if they are too high.

Rare but serious effects
Ketamine can slow or stop breathing at high doses or with fast injection, which is why staff
watch you and can help your breathing at once. Some people have frightening dreams or
hallucinations ("emergence reactions"). Repeated or heavy use of ketamine can harm the bladder
and the liver: tell us about any pain or urgency when passing water. Tell us at once if you
feel unwell at any time.
"""

_COMMON_RULES = """\
Ketamine is a controlled substance
Ketamine is a Schedule III controlled substance. It can be misused and can lead to dependence.
We keep a strict record of every dose. Please do not take ketamine from any other source.

After each treatment
You must not drive, cycle or operate machinery until the next day after a restful sleep. An
adult must take you home. Avoid alcohol and other sedating drugs on the day of treatment, and
do not make important decisions until the next day.

What is not known
The long-term effects of repeated treatment are not well known. For depression and the other
conditions we treat, ketamine (apart from esketamine nasal spray for some kinds of depression)
is used "off-label": this is legal and common, but means it is not approved for that use.

Your rights
Taking part is your choice. You may ask questions at any time, and you may stop treatment at
any time, including during a session, without it affecting the rest of your care. Tell any
member of staff; we will record that you have withdrawn your consent.
"""

TEXTS: dict[str, tuple[str, str]] = {
    "iv": (
        "Consent to IV ketamine treatment",
        """\
What the treatment is
Ketamine is given through a small tube in a vein (an intravenous infusion), usually over about
40 minutes, at a dose worked out from your weight. You stay in the clinic, watched by trained
staff, until you are ready to go home.

"""
        + _COMMON_BENEFIT
        + "\n"
        + _COMMON_EFFECTS
        + "\n"
        + _COMMON_RULES,
    ),
    "im": (
        "Consent to IM ketamine treatment",
        """\
What the treatment is
Ketamine is given as an injection into a muscle (intramuscular), at a dose worked out from your
weight. You stay in the clinic, watched by trained staff, until you are ready to go home.

"""
        + _COMMON_BENEFIT
        + "\n"
        + _COMMON_EFFECTS
        + "\n"
        + _COMMON_RULES,
    ),
    "intranasal": (
        "Consent to esketamine nasal spray treatment",
        """\
What the treatment is
Esketamine (Spravato) is a nasal spray that you take yourself in the clinic, under supervision.
You must stay in the clinic for at least two hours afterwards, until a member of staff decides
you are ready to leave. Esketamine is only available through a restricted programme (REMS), in
which we must enrol you and report on each treatment.

"""
        + _COMMON_BENEFIT
        + "\n"
        + _COMMON_EFFECTS
        + "\n"
        + _COMMON_RULES,
    ),
    "kap": (
        "Consent to ketamine-assisted psychotherapy",
        """\
What the treatment is
Ketamine-assisted psychotherapy combines ketamine treatments with sessions of talking therapy
before and after them. A therapist prepares you, may be with you during the treatment, and
helps you make sense of the experience afterwards. What you say in therapy is confidential, as
in any therapy, within the limits the therapist explains to you.

"""
        + _COMMON_BENEFIT
        + "\n"
        + _COMMON_EFFECTS
        + "\n"
        + _COMMON_RULES,
    ),
}
