"""What is fixed by the method: designs, risk-of-bias tools, effect measures, tau² estimators,
tests, and the confidence-level convention. One place, shared by every layer.

What belongs to a *review* (its outcomes, arm names, "Favours ..." labels, minimal important
differences) is not here: it comes from the review's file. This module imports nothing, so the
command line can list the choices without loading numpy or pydantic.

Codes follow metafor (Viechtbauer 2010) where a reviewer would look for them: measure codes as
``escalc(measure=)``, estimator codes as ``rma(method=)``, tests as ``rma(test=)``. The
confidence ``level`` is a percent everywhere, as metafor's ``level`` argument.

Examples
--------
>>> normalize_test("HKSJ"), normalize_method("fe")
('knha', 'EE')
>>> check_level(95)
95.0
"""
from __future__ import annotations

import math

# --------------------------------------------------------------------------------------------
# study designs
# --------------------------------------------------------------------------------------------

#: study designs a record may declare
DESIGNS = (
    "parallel_rct", "crossover_rct", "crossover_nonrandomized", "parallel_nonrandomized", "single_arm_pre_post",
    "retrospective_cohort", "case_series", "case_report", "dose_finding",
)
#: randomized designs (a record of these must say ``randomized: true``)
RANDOMIZED_DESIGNS = ("parallel_rct", "crossover_rct")
#: designs with a concurrent or within-person control
CONTROLLED_DESIGNS = ("parallel_rct", "crossover_rct", "crossover_nonrandomized", "parallel_nonrandomized")
#: designs that may or may not have a concurrent control group: a study of these with a controlled
#: contrast is analysed as a controlled cohort, one with a before/after contrast as single-arm
COHORT_DESIGNS = ("retrospective_cohort",)
#: design -> the subgroup it is analysed in (Cochrane Handbook 23.1: analyse different designs apart)
DESIGN_GROUPS = {
    "parallel_rct": "Parallel RCTs",
    "crossover_rct": "Crossover trials",
    "crossover_nonrandomized": "Crossover trials",
    "parallel_nonrandomized": "Non-randomized trials",
    "single_arm_pre_post": "Single-arm pre-post",
    "case_series": "Single-arm pre-post",
    "retrospective_cohort": "Single-arm pre-post",
    "case_report": "Case reports",
    "dose_finding": "Dose finding",
}
#: the subgroup of a cohort design's effect against a concurrent control group (not single-arm)
CONTROLLED_COHORT_GROUP = "Controlled cohorts"
#: the order in which design subgroups are shown
DESIGN_GROUP_ORDER = ("Parallel RCTs", "Crossover trials", "Non-randomized trials", CONTROLLED_COHORT_GROUP,
                      "Single-arm pre-post", "Case reports", "Dose finding")
#: short design names for a forest plot's column
DESIGN_SHORT = {
    "parallel_rct": "parallel RCT", "crossover_rct": "crossover RCT",
    "crossover_nonrandomized": "crossover, fixed order", "parallel_nonrandomized": "non-randomized",
    "single_arm_pre_post": "open-label",
    "retrospective_cohort": "retrospective", "case_series": "case series", "case_report": "case report",
    "dose_finding": "dose finding",
}


def design_group(design: str, controlled: bool = False) -> str:
    """The subgroup a design is analysed in.

    ``controlled``: the effect compares the intervention with a concurrent control group. A
    cohort design (:data:`COHORT_DESIGNS`) is then a controlled cohort, not a single-arm study.

    >>> design_group("crossover_nonrandomized")
    'Crossover trials'
    >>> design_group("retrospective_cohort"), design_group("retrospective_cohort", controlled=True)
    ('Single-arm pre-post', 'Controlled cohorts')
    """
    if controlled and design in COHORT_DESIGNS:
        return CONTROLLED_COHORT_GROUP
    return DESIGN_GROUPS.get(design, design)


# --------------------------------------------------------------------------------------------
# contrasts and outcomes: the words every review shares (a review's own are in its protocol)
# --------------------------------------------------------------------------------------------

#: contrasts without a comparator, in order of preference (a controlled contrast is named by the
#: review's protocol: ``<intervention id>_vs_<comparator id>``)
UNCONTROLLED_CONTRASTS = ("pre_post", "single_group", "dose_response")
#: a study's ``comparator`` when it has none
NO_COMPARATOR = "none"
#: what an outcome is pooled from: means (continuous) or event counts (binary)
OUTCOME_KINDS = ("continuous", "binary")


# --------------------------------------------------------------------------------------------
# risk of bias (Sterne et al. 2019, RoB 2; Sterne et al. 2016, ROBINS-I)
# --------------------------------------------------------------------------------------------

ROB_TOOLS = ("RoB 2", "ROBINS-I", "not_assessed")
ROB2_DOMAINS = ("randomization", "deviations", "missing_data", "measurement", "reported_result")
ROBINS_I_DOMAINS = ("confounding", "selection", "classification", "deviations", "missing_data",
                    "measurement", "reported_result")
ROB2_JUDGEMENTS = ("low", "some_concerns", "high")
ROBINS_I_JUDGEMENTS = ("low", "moderate", "serious", "critical", "no_information")
#: overall judgements that count as high risk in sensitivity analyses and GRADE
HIGH_RISK_JUDGEMENTS = ("high", "serious", "critical")

# --------------------------------------------------------------------------------------------
# effect measures (metafor's escalc codes)
# --------------------------------------------------------------------------------------------

#: every measure :func:`ldn_evidence.escalc` computes, in the order they are documented
ESCALC_MEASURES = ("MD", "SMD", "SMDH", "ROM", "MC", "SMCC", "SMCR", "RR", "OR", "RD", "PR", "PLO")
#: measures a review pools for a continuous outcome (the first is the default)
CONTINUOUS_MEASURES = ("SMD", "MD")
#: measures a review pools for a binary outcome (the first is the default)
BINARY_MEASURES = ("RR", "OR", "RD")
#: every measure a review pools
MEASURES = CONTINUOUS_MEASURES + BINARY_MEASURES
#: ratio measures: analysed on the log scale, shown exponentiated on a log axis
RATIO_MEASURES = ("RR", "OR", "ROM")
#: axis and table labels
MEASURE_LABELS = {
    "SMD": "Standardised mean difference (Hedges' g)", "MD": "Mean difference", "RR": "Risk ratio",
    "OR": "Odds ratio", "RD": "Risk difference", "ROM": "Ratio of means", "SMDH": "Standardised mean difference",
    "MC": "Mean change", "SMCC": "Standardised mean change", "SMCR": "Standardised mean change",
    "PR": "Proportion", "PLO": "Log odds (proportion)",
}


def is_ratio(measure: str) -> bool:
    """Whether a measure is analysed on the log scale and shown as a ratio.

    >>> is_ratio("RR"), is_ratio("SMD")
    (True, False)
    """
    return str(measure).upper() in RATIO_MEASURES


# --------------------------------------------------------------------------------------------
# tau² estimators and tests (metafor's rma codes)
# --------------------------------------------------------------------------------------------

#: tau² estimators, metafor's codes, in metafor's documented order
METHODS = ("EE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
#: tau² estimators in the order a review offers them (the first is the default)
REVIEW_METHODS = ("REML", "DL", "PM", "EB", "ML", "HE", "HS", "SJ", "EE")
METHOD_NAMES = {
    "EE": "equal-effects (EE)", "DL": "DerSimonian-Laird (DL)", "HE": "Hedges (HE)",
    "HS": "Hunter-Schmidt (HS)", "SJ": "Sidik-Jonkman (SJ)", "ML": "maximum likelihood (ML)",
    "REML": "restricted maximum likelihood (REML)", "EB": "empirical Bayes (EB)", "PM": "Paule-Mandel (PM)",
}
#: short estimator names for one-line settings
METHOD_SHORT = {
    "EE": "equal effects", "DL": "DerSimonian-Laird", "HE": "Hedges", "HS": "Hunter-Schmidt",
    "SJ": "Sidik-Jonkman", "ML": "maximum likelihood", "REML": "REML", "EB": "empirical Bayes",
    "PM": "Paule-Mandel",
}
_METHOD_ALIASES = {"FE": "EE", "CE": "EE"}

#: the tests of the fixed effects, metafor 3.8's codes for ``rma(test=)``: "z" (Wald, normal), "t" (t with
#: k - p df, no variance adjustment), "knha" (Hartung-Knapp-Sidik-Jonkman: t with k - p df and the variance
#: scaled by s2w = Q_gen / (k - p); Hartung & Knapp 2001, Sidik & Jonkman 2002), "adhoc" (modified
#: Knapp-Hartung: as knha with s2w at least 1; Knapp & Hartung 2003, Röver, Knapp & Friede 2015)
TESTS = ("z", "t", "knha", "adhoc")
#: tests whose statistics follow a t (coefficients) or F (omnibus) distribution with k - p df
T_TESTS = ("t", "knha", "adhoc")
#: tests that scale the variance of the coefficients by the Knapp-Hartung factor s2w
KH_TESTS = ("knha", "adhoc")
TEST_NAMES = {
    "z": "Wald z (normal)",
    "t": "t (k - p df, variance not adjusted)",
    "knha": "Hartung-Knapp-Sidik-Jonkman (t)",
    "adhoc": "modified Hartung-Knapp (t, variance factor at least 1)",
}
#: short test names for one-line settings and figure footers
TEST_SHORT = {"z": "Wald z", "t": "t", "knha": "Hartung-Knapp", "adhoc": "modified Hartung-Knapp"}
_TEST_ALIASES = {
    "z": "z", "wald": "z", "normal": "z",
    "t": "t",
    "knha": "knha", "hksj": "knha", "hk": "knha", "kh": "knha", "knapp-hartung": "knha", "hartung-knapp": "knha",
    "adhoc": "adhoc",
}


def normalize_method(method) -> str:
    """A tau² estimator code as metafor spells it (``FE`` and ``CE`` are ``EE``).

    Raises ValueError naming the choices.

    >>> normalize_method("reml")
    'REML'
    """
    m = str(method).strip().upper()
    m = _METHOD_ALIASES.get(m, m)
    if m not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)} (or FE)")
    return m


def normalize_test(test) -> str:
    """The canonical code of a test of the fixed effects (one normalisation for the whole package).

    Parameters
    ----------
    test : str
        Any of the accepted spellings, case-insensitive: ``"z"`` (also ``"wald"``, ``"normal"``);
        ``"t"``; ``"knha"`` (also ``"hksj"``, ``"hk"``, ``"kh"``, ``"knapp-hartung"``,
        ``"hartung-knapp"``); ``"adhoc"``.

    Returns
    -------
    str
        One of :data:`TESTS`, metafor 3.8's codes for ``rma(..., test=)``: ``"z"`` Wald test and
        normal-based CI; ``"t"`` t distribution with k - p df, variance not adjusted;
        ``"knha"`` Hartung & Knapp (2001) / Sidik & Jonkman (2002): t with k - p df and the
        variance multiplied by s2w = Q_gen / (k - p); ``"adhoc"`` the modified Knapp-Hartung
        method (Knapp & Hartung 2003; Röver, Knapp & Friede 2015): as knha with s2w replaced by
        max(1, s2w), so its interval is never narrower than the t interval without adjustment
        (metafor's documentation cites Jackson et al. 2017, section 4.3).

    Raises
    ------
    ValueError
        For any other value; the message lists the choices.

    Examples
    --------
    >>> [normalize_test(t) for t in ("HKSJ", "KH", "Z", "adhoc", "t")]
    ['knha', 'knha', 'z', 'adhoc', 't']
    """
    t = _TEST_ALIASES.get(str(test).strip().lower())
    if t is None:
        spellings = ", ".join(repr(a) for a in _TEST_ALIASES)
        raise ValueError(f"unknown test {test!r}; expected one of {', '.join(TESTS)} "
                         f"(accepted spellings, case-insensitive: {spellings})")
    return t


def uses_t(test: str) -> bool:
    """Whether a test uses the t distribution with k - p degrees of freedom (t, knha, adhoc)."""
    return normalize_test(test) in T_TESTS


# --------------------------------------------------------------------------------------------
# the confidence level: a percent, as metafor
# --------------------------------------------------------------------------------------------

DEFAULT_LEVEL = 95.0


def check_level(level, name: str = "level") -> float:
    """A confidence level in percent, checked: a number strictly between 1 and 100.

    A level is a percent everywhere in the package (95 means a 95% interval). A fraction such
    as 0.95 is refused with a message rather than read as 0.95% or silently as 95%.

    Raises
    ------
    ValueError
        Naming ``name``, for a non-number, NaN, infinity, a value outside (1, 100), or a fraction.

    Examples
    --------
    >>> check_level(90)
    90.0
    >>> check_level(0.95)
    Traceback (most recent call last):
    ...
    ValueError: level = 0.95: a confidence level is a percent (95 for a 95% interval), not a fraction
    """
    if isinstance(level, bool) or not isinstance(level, (int, float)) and not _is_numpy_number(level):
        raise ValueError(f"{name} must be a number (a percent such as 95), got {level!r}")
    value = float(level)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite percent such as 95, got {value}")
    if 0 < value <= 1:
        raise ValueError(f"{name} = {value:g}: a confidence level is a percent (95 for a 95% interval), "
                         "not a fraction")
    if not 1 < value < 100:
        raise ValueError(f"{name} = {value:g} is outside (1, 100); a confidence level is a percent such as 95")
    return value


def alpha_of(level: float) -> float:
    """The two-sided error rate of a percent level: ``1 - level / 100``.

    >>> round(alpha_of(95), 12)
    0.05
    """
    return 1.0 - check_level(level) / 100.0


def _is_numpy_number(x) -> bool:
    return type(x).__module__ == "numpy" and hasattr(x, "dtype") and getattr(x, "ndim", 1) == 0 \
        and x.dtype.kind in "iuf"


# --------------------------------------------------------------------------------------------
# subgroup variables of a study record
# --------------------------------------------------------------------------------------------

#: study-record fields an analysis can be subgrouped by (a protocol may add categorical moderators)
SUBGROUP_FIELDS = ("design", "line_of_therapy", "randomized", "blinding", "source")
#: the record fields, and "none": no subgroups
BY = SUBGROUP_FIELDS + ("none",)


# --------------------------------------------------------------------------------------------
# risk-of-bias domain names, as the tools word them (and robvis captions them)
# --------------------------------------------------------------------------------------------

#: RoB 2 domains D1-D5 (Sterne et al. 2019, BMJ 366:l4898)
ROB2_DOMAIN_NAMES = {
    "randomization": "Bias arising from the randomization process",
    "deviations": "Bias due to deviations from intended interventions",
    "missing_data": "Bias due to missing outcome data",
    "measurement": "Bias in measurement of the outcome",
    "reported_result": "Bias in selection of the reported result",
}
#: ROBINS-I domains D1-D7 (Sterne et al. 2016, BMJ 355:i4919)
ROBINS_I_DOMAIN_NAMES = {
    "confounding": "Bias due to confounding",
    "selection": "Bias due to selection of participants",
    "classification": "Bias in classification of interventions",
    "deviations": "Bias due to deviations from intended interventions",
    "missing_data": "Bias due to missing data",
    "measurement": "Bias in measurement of outcomes",
    "reported_result": "Bias in selection of the reported result",
}


def rob_domains(tool: str) -> tuple[str, ...]:
    """The domains of a risk-of-bias tool, in the tool's order (D1, D2, ...).

    >>> rob_domains("RoB 2")[0], len(rob_domains("ROBINS-I"))
    ('randomization', 7)
    """
    if tool == "RoB 2":
        return ROB2_DOMAINS
    if tool == "ROBINS-I":
        return ROBINS_I_DOMAINS
    raise ValueError(f"unknown risk-of-bias tool {tool!r}; expected 'RoB 2' or 'ROBINS-I'")


def rob_domain_name(tool: str, domain: str) -> str:
    """The tool's wording of a domain.

    >>> rob_domain_name("ROBINS-I", "confounding")
    'Bias due to confounding'
    """
    names = ROB2_DOMAIN_NAMES if tool == "RoB 2" else ROBINS_I_DOMAIN_NAMES
    return names[domain]


# --------------------------------------------------------------------------------------------
# GRADE: certainty of a body of evidence (GRADE Handbook 2013; Cochrane Handbook chapter 14)
# --------------------------------------------------------------------------------------------

#: certainty levels, lowest first (the index is the number of "plus" symbols minus one)
GRADE_LEVELS = ("very_low", "low", "moderate", "high")
GRADE_LEVEL_NAMES = {"very_low": "Very low", "low": "Low", "moderate": "Moderate", "high": "High"}
#: the symbols of a summary-of-findings table (GRADE Handbook 5.1)
GRADE_SYMBOLS = {"very_low": "\u2295\u25ef\u25ef\u25ef", "low": "\u2295\u2295\u25ef\u25ef",
                 "moderate": "\u2295\u2295\u2295\u25ef", "high": "\u2295\u2295\u2295\u2295"}
#: the five domains that can lower the certainty, in the order GRADEpro lists them
GRADE_DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
GRADE_DOMAIN_NAMES = {"risk_of_bias": "Risk of bias", "inconsistency": "Inconsistency",
                      "indirectness": "Indirectness", "imprecision": "Imprecision",
                      "publication_bias": "Publication bias"}
#: a domain's judgement and the levels it takes off
GRADE_JUDGEMENTS = ("not_serious", "serious", "very_serious")
GRADE_DOWNGRADE = {"not_serious": 0, "serious": 1, "very_serious": 2}
#: the factors that can raise the certainty of non-randomized evidence (GRADE guidelines 9)
GRADE_UPGRADE_FACTORS = ("large_effect", "dose_response", "plausible_confounding")
GRADE_UPGRADE_NAMES = {"large_effect": "Large effect", "dose_response": "Dose-response gradient",
                       "plausible_confounding": "Plausible confounding would reduce the effect"}


def grade_level_text(level: str | None) -> str:
    """A certainty level as a summary-of-findings table prints it; an em dash when not rated.

    >>> grade_level_text("low")
    '\u2295\u2295\u25ef\u25ef Low'
    """
    if level is None:
        return "\u2014"
    return f"{GRADE_SYMBOLS[level]} {GRADE_LEVEL_NAMES[level]}"


def grade_domain_name(domain: str) -> str:
    """The GRADE wording of a downgrading domain or an upgrading factor.

    >>> grade_domain_name("imprecision"), grade_domain_name("large_effect")
    ('Imprecision', 'Large effect')
    """
    return GRADE_DOMAIN_NAMES.get(domain) or GRADE_UPGRADE_NAMES.get(domain, domain)
#: an upgrading factor's judgement and the levels it adds
GRADE_UPGRADES = ("none", "one_level", "two_levels")
GRADE_UPGRADE = {"none": 0, "one_level": 1, "two_levels": 2}


# --------------------------------------------------------------------------------------------
# priors of the Bayesian random-effects model (a review's protocol names its defaults)
# --------------------------------------------------------------------------------------------

#: analysis models: frequentist random effects (the engine) or the Bayesian normal-normal
#: hierarchical model (models.bayes)
MODELS = ("freq", "bayes")
#: tau prior families a protocol may name (``prior.tau``); turner and rhodes are the empirical
#: priors of Turner et al. 2015 (log odds ratios) and Rhodes et al. 2015 (SMDs)
TAU_PRIOR_FAMILIES = ("halfnormal", "halfcauchy", "halft", "uniform", "lognormal", "turner", "rhodes")
#: families with a scale parameter (``prior.scale``; lognormal: the prior median of tau)
SCALED_TAU_PRIORS = ("halfnormal", "halfcauchy", "halft", "lognormal")
#: the measures each empirical prior was derived for
EMPIRICAL_PRIOR_MEASURES = {"turner": ("RR", "OR"), "rhodes": ("SMD",)}
#: outcome types of Turner et al. (2015), Stat Med 34:984, as tabulated in bayesmeta 3.4
TURNER_OUTCOME_TYPES = (
    "all-cause mortality", "obstetric outcomes",
    "cause-specific mortality / major morbidity event / composite (mortality or morbidity)",
    "resource use / hospital stay / process", "surgical / device related success / failure",
    "withdrawals / drop-outs", "internal / structure-related outcomes", "general physical health indicators",
    "adverse events", "infection / onset of new disease",
    "signs / symptoms reflecting continuation / end of condition", "pain",
    "quality of life / functioning (dichotomized)", "mental health indicators",
    "biological markers (dichotomized)", "subjective outcomes (various)",
)
#: outcome types of Rhodes et al. (2015), J Clin Epidemiol 68:52, as tabulated in bayesmeta 3.4
RHODES_OUTCOME_TYPES = (
    "obstetric outcome", "resource use and hospital stay / process",
    "internal and external structure-related outcome",
    "general physical health and adverse event and pain and quality of life / functioning",
    "signs / symptoms reflecting continuation / end of condition and infection / onset of new acute / "
    "chronic disease",
    "mental health outcome", "biological marker", "various subjectively measured outcomes",
)
#: medical areas of Rhodes et al. (2015)
RHODES_AREAS = ("other", "respiratory", "cancer")
#: the comparator types both papers classify comparisons by ("<type> vs <type>")
PRIOR_COMPARATOR_TYPES = ("pharmacological", "non-pharmacological", "placebo / control")


def _norm_name(s) -> str:
    return " ".join(str(s).lower().replace(".", " ").replace("/", " / ").split())


def match_choice(value, choices, what: str) -> str:
    """The one of ``choices`` that ``value`` names: case-insensitively, exactly or by a unique
    prefix (R's partial matching); ValueError naming the choices otherwise.

    >>> match_choice("Adverse", TURNER_OUTCOME_TYPES, "outcome type")
    'adverse events'
    """
    v = _norm_name(value)
    exact = [c for c in choices if _norm_name(c) == v]
    if exact:
        return exact[0]
    hits = [c for c in choices if _norm_name(c).startswith(v)]
    if len(hits) == 1:
        return hits[0]
    listing = "; ".join(repr(c) for c in choices)
    if not hits:
        raise ValueError(f"unknown {what} {value!r}; choose one of: {listing}")
    raise ValueError(f"{what} {value!r} is ambiguous; it starts {len(hits)} of: {listing}")


def comparison_types(comparison) -> tuple[str, str]:
    """The two comparator types of ``"<type> vs <type>"`` (Turner et al. 2015; Rhodes et al. 2015),
    each one of :data:`PRIOR_COMPARATOR_TYPES` (prefixes allowed); ValueError otherwise.

    >>> comparison_types("pharmacological vs placebo")
    ('pharmacological', 'placebo / control')
    """
    text = _norm_name(comparison).replace(" versus ", " vs ")
    if " vs " not in text:
        raise ValueError(f"comparison {comparison!r} must read '<type> vs <type>', e.g. 'pharmacological vs placebo'")
    a, b = (s.strip() for s in text.split(" vs ", 1))
    sides = (match_choice(a, PRIOR_COMPARATOR_TYPES, "comparator type"),
             match_choice(b, PRIOR_COMPARATOR_TYPES, "comparator type"))
    if sides == ("placebo / control", "placebo / control"):
        raise ValueError("comparison: placebo / control vs placebo / control is not a comparison")
    return sides
