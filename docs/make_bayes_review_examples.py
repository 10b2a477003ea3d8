"""Regenerate the LDN figures of docs/bayes.md and print the numbers its text quotes.

    python docs/make_bayes_review_examples.py

Figures: the Bayesian forest of pain (observed and shrinkage estimates by design, the posterior
of mu by subgroup and overall, the frequentist result beside it) and the posteriors of mu and tau
for pain and for FIQ/FIQR, with the frequentist (REML, modified Hartung-Knapp) interval and tau
marked. Everything comes from ``Review.analyse(..., model="bayes")`` with the protocol's priors.
"""
from __future__ import annotations

import math
from pathlib import Path

import ldn_evidence as le

HERE = Path(__file__).resolve().parent
IMG = HERE / "img"


def _numbers(review, outcome: str) -> None:
    b = review.analyse(outcome, model="bayes")
    o, p = b.overall, b.posterior
    print(f"== {outcome} ({b.measure}), k = {b.k}: {', '.join(r['label'] for r in b.rows)}")
    print(f"   prior: {b.prior.describe()} ({b.prior.where})")
    print(f"   Bayes: mu {p.mu_median:.2f} [{p.mu_ci_low:.2f}, {p.mu_ci_high:.2f}], "
          f"P(mu < 0) = {b.prob_benefit():.2f}, P(mu < -0.5) = {b.prob_mid():.2f}, "
          f"tau {p.tau_median:.2f} [{p.tau_ci_low:.2f}, {p.tau_ci_high:.2f}], PI [{p.pi_low:.2f}, {p.pi_high:.2f}]")
    print(f"   {b.freq_label}: {o.estimate:.2f} [{o.ci_low:.2f}, {o.ci_high:.2f}], p = {o.pvalue:.2f}, "
          f"tau2 {o.tau2:.3f} (tau {math.sqrt(o.tau2):.2f}), tau2 CI [{o.tau2_ci_low:.2f}, {o.tau2_ci_high:.2f}], "
          f"PI [{o.pi_low:.2f}, {o.pi_high:.2f}]")
    for name, post in b.subgroup_posteriors.items():
        f = b.subgroups[name]
        print(f"   {name}: Bayes {post.mu_median:.2f} [{post.mu_ci_low:.2f}, {post.mu_ci_high:.2f}] "
              f"(P(mu < 0) = {b.prob_benefit(name):.2f}); {b.freq_label} {f.estimate:.2f} [{f.ci_low:.2f}, "
              f"{f.ci_high:.2f}]")
    for row in review.sensitivity(outcome).rows:
        if row["family"] == "Bayesian: tau prior":
            print(f"   {row['analysis']}: {row['estimate']:.2f} [{row['ci_low']:.2f}, {row['ci_high']:.2f}], "
                  f"PI [{row['pi_low']:.2f}, {row['pi_high']:.2f}], P(benefit) = {row['prob_benefit']:.2f}")


def main() -> None:
    IMG.mkdir(exist_ok=True)
    review = le.load_studies()
    figures = {"bayes-ldn-pain-forest.png": review.analyse("pain", model="bayes").forest()}
    for outcome in ("pain", "fiq"):
        figures[f"bayes-ldn-{outcome}-posterior.png"] = review.analyse(outcome, model="bayes").posterior_figure()
    for name, fig in figures.items():
        out = IMG / name
        fig.savefig(out, dpi=100, pil_kwargs={"compress_level": 9})
        print(f"wrote {out.relative_to(HERE.parent)}")
    for outcome in ("pain", "fiq"):
        _numbers(review, outcome)


if __name__ == "__main__":
    main()
