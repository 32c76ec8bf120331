#!/usr/bin/env python3
"""Golden values for @reacgan/losses, computed in float64 outside TypeScript.

Usage (from the repository root):

    .venv-reference/bin/python packages/losses/scripts/make_golden.py

writes packages/losses/src/__fixtures__/golden.json.

Two independent float64 references are computed for every contrastive case and compared:

  * ``numpy``: the formulas written directly from docs (reacgan-reference.md section 1.2 for the
    paper form, steps 1-8 of section 1.3 for StudioGAN's computation, section 3.2 for 2C), with
    explicit Python loops over pairs (no vectorised masks), so that a masking mistake in one
    implementation does not hide in the other.
  * ``torch``: a float64 PyTorch transcription that follows the *structure* of StudioGAN v0.3.0's
    ``Data2DataCrossEntropyLoss`` / ``ConditionalContrastiveLoss`` (torch.nn.CosineSimilarity with
    eps 1e-8, diagonal removal to N x (N-1), a detached row maximum, mask multiplied after exp,
    ``pos + log(exp(-pos) + sum)``), written by us from the reference document; it also supplies
    the autograd gradients stored as golden gradients.

Adversarial, cross-entropy and multi-hinge values use exact closed forms in numpy (softplus via
``logaddexp``, log-softmax via log-sum-exp); their gradients come from the closed-form derivatives
and are cross-checked against torch float64 autograd.

No StudioGAN code is imported or run; nothing here needs a network.
"""

from __future__ import annotations

import json
import math
import platform
import sys
from datetime import date
from pathlib import Path

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "__fixtures__" / "golden.json"


# --------------------------------------------------------------------------------------------
# numpy references (loops; float64)
# --------------------------------------------------------------------------------------------

def _cos(a: np.ndarray, b: np.ndarray, eps: float = 1e-8) -> float:
    return float(a @ b) / (max(np.linalg.norm(a), eps) * max(np.linalg.norm(b), eps))


def np_d2dce(embed, proxy, labels, tau, m_p, m_n, variant):
    """Per-sample D2D-CE. variant 'paper': section 1.2. variant 'studiogan': section 1.3 steps 1-8."""
    n = len(labels)
    out = []
    for i in range(n):
        pos_sim = _cos(embed[i], proxy[i])
        a_i = max((m_p - pos_sim) / tau, 0.0)  # = -[s+ - m_p]_- / tau
        if variant == "studiogan":
            if n == 1:
                shift = 0.0  # no off-diagonal entry; no negatives either, so it is never used
            else:
                shift = max((_cos(embed[i], embed[j]) - m_n) / tau for j in range(n) if j != i)
        else:
            shift = 0.0
        neg = 0.0
        for j in range(n):
            if j == i or labels[j] == labels[i]:
                continue
            neg += math.exp(max((_cos(embed[i], embed[j]) - m_n) / tau, 0.0) - shift)
        out.append(a_i + math.log(math.exp(-a_i) + neg))
    return np.array(out)


def np_2c(embed, proxy, labels, tau):
    """Per-sample ContraGAN 2C (section 3.2)."""
    n = len(labels)
    out = []
    for i in range(n):
        # log-sum-exp over explicit term lists, in float64
        p = _cos(embed[i], proxy[i]) / tau
        num_terms = [p]
        den_terms = [p]
        for j in range(n):
            if j == i:
                continue
            t = _cos(embed[i], embed[j]) / tau
            den_terms.append(t)
            if labels[j] == labels[i]:
                num_terms.append(t)
        out.append(_lse(den_terms) - _lse(num_terms) if len(den_terms) > len(num_terms) else 0.0)
    return np.array(out)


def _lse(xs):
    m = max(xs)
    return m + math.log(sum(math.exp(x - m) for x in xs))


def np_softplus(x):
    return np.logaddexp(0.0, x)


def np_sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))


# --------------------------------------------------------------------------------------------
# torch float64 transcription of StudioGAN's structure (our own code)
# --------------------------------------------------------------------------------------------

_cos_mod = torch.nn.CosineSimilarity(dim=-1, eps=1e-8)


def _pairwise_cos(x):
    return _cos_mod(x.unsqueeze(1), x.unsqueeze(0))


def _drop_diag(m):
    n = m.shape[0]
    keep = ~torch.eye(n, dtype=torch.bool)
    return m[keep].view(n, n - 1)


def torch_d2dce(embed, proxy, labels, tau, m_p, m_n, variant):
    n = embed.shape[0]
    if n == 1:
        # StudioGAN cannot take a max over an empty row; the loss is a - a = 0 by definition.
        return (embed.sum() * 0 + proxy.sum() * 0).expand(1)
    a_mat = _drop_diag((_pairwise_cos(embed) - m_n) / tau)
    if variant == "studiogan":
        row_max, _ = torch.max(a_mat, dim=1, keepdim=True)
        shifted = torch.relu(a_mat) - row_max.detach()
    else:
        shifted = torch.relu(a_mat)
    different = _drop_diag((labels.unsqueeze(0) != labels.unsqueeze(1)).to(torch.float64))
    negatives = different * torch.exp(shifted)
    pos_attr = torch.relu((m_p - _cos_mod(embed, proxy)) / tau)
    return pos_attr + torch.log(torch.exp(-pos_attr) + negatives.sum(dim=1))


def torch_2c(embed, proxy, labels, tau):
    n = embed.shape[0]
    if n == 1:
        return (embed.sum() * 0 + proxy.sum() * 0).expand(1)
    sim = torch.exp(_drop_diag(_pairwise_cos(embed)) / tau)
    same = _drop_diag((labels.unsqueeze(0) == labels.unsqueeze(1)).to(torch.float64))
    e2p = torch.exp(_cos_mod(embed, proxy) / tau)
    numerator = e2p + (same * sim).sum(dim=1)
    denominator = torch.cat([e2p.unsqueeze(1), sim], dim=1).sum(dim=1)
    return -torch.log(numerator / denominator)


def torch_per_sample_and_grads(fn, embed, proxy, labels, *args):
    e = torch.tensor(embed, requires_grad=True)
    p = torch.tensor(proxy, requires_grad=True)
    y = torch.tensor(labels, dtype=torch.long)
    per = fn(e, p, y, *args)
    loss = per.mean()
    loss.backward()
    return per.detach().numpy(), float(loss.detach()), e.grad.numpy(), p.grad.numpy()


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def fl(x):
    """JSON-friendly float list (full float64 precision, repr round-trips)."""
    return np.asarray(x, dtype=np.float64).tolist()


def unit_rows(rng, n, d):
    x = rng.standard_normal((n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def max_abs(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) if np.size(a) else 0.0


# --------------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------------

DOC_TABLE = {  # reacgan-reference.md section 1.3 (NumPy transcription by the doc's author, 6 decimals)
    (0.5, 0.98): (0.719307, 1.596313),
    (0.75, 1.0): (0.827266, 1.440717),
    (0.25, 0.95): (0.509010, 2.118134),
    (0.25, 0.90): (0.480367, 1.911032),
}
DOC_2C = 0.458191


def contrastive_inputs():
    rng = np.random.default_rng(20211101)
    cases = []
    # reference section 1.3 setup
    f = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 1, 0], [0, 0.6, 0.8]], dtype=np.float64)
    y = [0, 0, 1, 1]
    table = np.array([[1, 0.2, 0], [0, 1, 0.3]], dtype=np.float64)
    cases.append(dict(name="reference-1.3", embed=f, proxy=table[y], labels=y,
                      note="reacgan-reference.md 1.3 setup; proxy rows gathered by label (unnormalised)"))
    # C02 inputs (2-D)
    f2 = np.array([[1, 0], [0.6, 0.8], [0, 1], [-0.6, 0.8]], dtype=np.float64)
    y2 = [0, 0, 1, 1]
    t2 = np.array([[1, 0], [0, 1]], dtype=np.float64)
    cases.append(dict(name="C02", embed=f2, proxy=t2[y2], labels=y2, note="test-cases.md C02 inputs"))
    aligned = np.tile(np.array([[1.0, 0.0]]), (4, 1))
    cases.append(dict(name="C02-aligned", embed=aligned, proxy=aligned.copy(), labels=[0, 0, 1, 1],
                      note="test-cases.md C02 scenario 3: all embeddings and proxies (1,0)"))
    # C04 scenario 2: labels [0,1,1,3], 4 random unit embeddings in 8-D
    cases.append(dict(name="C04-singletons", embed=unit_rows(rng, 4, 8), proxy=unit_rows(rng, 4, 8),
                      labels=[0, 1, 1, 3], note="test-cases.md C04 scenario 2 (seeded numpy draw)"))
    # random, unnormalised, several classes, N = 9 (odd), d = 6
    e = rng.standard_normal((9, 6)) * rng.uniform(0.5, 3.0, (9, 1))
    pt = rng.standard_normal((4, 6))
    yl = [2, 0, 1, 2, 3, 0, 1, 1, 2]
    cases.append(dict(name="random-9x6", embed=e, proxy=pt[yl], labels=yl,
                      note="seeded random, unnormalised embeddings and proxies, 4 classes"))
    # all-same-label batch
    cases.append(dict(name="all-same-label", embed=rng.standard_normal((5, 4)), proxy=rng.standard_normal((5, 4)),
                      labels=[3, 3, 3, 3, 3], note="no negatives anywhere: loss is exactly 0"))
    # N = 1
    cases.append(dict(name="single-sample", embed=rng.standard_normal((1, 4)), proxy=rng.standard_normal((1, 4)),
                      labels=[7], note="N = 1: no pairs; loss 0"))
    # every off-diagonal similarity below m_n (so the StudioGAN shift M_i is negative): nearly opposite pairs
    tetra = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=np.float64)
    tetra = tetra + 0.1 * rng.standard_normal(tetra.shape)
    cases.append(dict(name="negative-shift", embed=tetra, proxy=tetra + 0.5 * rng.standard_normal(tetra.shape),
                      labels=[0, 1, 2, 3],
                      note="perturbed tetrahedron: every off-diagonal cosine < -0.2, so StudioGAN's row maxima M_i are negative for every margin used (negatives up-weighted)"))
    return cases


def d2dce_configs(name):
    configs = [(0.5, 0.98), (0.75, 1.0), (0.25, 0.95), (0.25, 0.90)]
    if name in ("random-9x6", "C02", "C04-singletons", "negative-shift"):
        configs = configs + [(0.01, 0.98), (0.1, 0.5)]
    return configs


def main():
    out = {
        "provenance": {
            "script": "packages/losses/scripts/make_golden.py",
            "command": ".venv-reference/bin/python packages/losses/scripts/make_golden.py",
            "generated": date.today().isoformat(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "torch": torch.__version__,
            "method": (
                "float64. 'value'/'perSample' = numpy loop implementation of the formulas "
                "(reacgan-reference.md 1.2 / 1.3 / 3.1 / 3.2). 'torchValue' = independent float64 torch transcription of "
                "StudioGAN v0.3.0's computation structure; its autograd supplies gradEmbed/gradProxy (gradient of the "
                "batch mean; the StudioGAN shift is detached). 'maxAbsDiffNumpyTorch' records their agreement."
            ),
        },
        "d2dce": [],
        "contrastive": [],
        "crossEntropy": [],
        "crammerSinger": [],
        "adversarial": [],
    }
    worst_np_torch = 0.0
    doc_rows = []

    for case in contrastive_inputs():
        embed, proxy, labels = case["embed"], case["proxy"], case["labels"]
        for tau, m_p in d2dce_configs(case["name"]):
            m_n = 1.0 - m_p
            for variant in ("studiogan", "paper"):
                per_np = np_d2dce(embed, proxy, labels, tau, m_p, m_n, variant)
                per_t, loss_t, ge, gp = torch_per_sample_and_grads(torch_d2dce, embed, proxy, labels, tau, m_p, m_n, variant)
                diff = max(max_abs(per_np, per_t), abs(per_np.mean() - loss_t))
                worst_np_torch = max(worst_np_torch, diff)
                row = {
                    "case": case["name"], "note": case["note"],
                    "embed": fl(embed), "proxy": fl(proxy), "labels": list(map(int, labels)),
                    "temperature": tau, "positiveMargin": m_p, "negativeMargin": m_n, "variant": variant,
                    "perSample": fl(per_np), "value": float(per_np.mean()), "torchValue": loss_t,
                    "maxAbsDiffNumpyTorch": diff,
                    "gradEmbed": fl(ge), "gradProxy": fl(gp),
                }
                if case["name"] == "reference-1.3" and (tau, m_p) in DOC_TABLE:
                    doc = DOC_TABLE[(tau, m_p)][0 if variant == "studiogan" else 1]
                    row["referenceDocValue"] = doc
                    row["agreesWithReferenceDoc"] = bool(round(float(per_np.mean()), 6) == doc)
                    doc_rows.append((tau, m_p, variant, float(per_np.mean()), doc))
                out["d2dce"].append(row)
        taus = [1.0]
        if case["name"] in ("C02", "C02-aligned"):
            taus = [0.5, 0.01] if case["name"] == "C02" else [0.01]
        if case["name"] in ("random-9x6", "C04-singletons"):
            taus = [1.0, 0.5, 0.07, 0.01]
        for tau in taus:
            per_np = np_2c(embed, proxy, labels, tau)
            per_t, loss_t, ge, gp = torch_per_sample_and_grads(torch_2c, embed, proxy, labels, tau)
            # torch's naive ratio form loses precision / overflows at tiny tau; record it but do not require it
            finite = bool(np.all(np.isfinite(per_t)))
            diff = max(max_abs(per_np, per_t), abs(per_np.mean() - loss_t)) if finite else float("nan")
            if finite and tau >= 0.05:
                worst_np_torch = max(worst_np_torch, diff)
            row = {
                "case": case["name"], "note": case["note"],
                "embed": fl(embed), "proxy": fl(proxy), "labels": list(map(int, labels)),
                "temperature": tau, "perSample": fl(per_np), "value": float(per_np.mean()),
                "torchValue": loss_t if finite else None, "maxAbsDiffNumpyTorch": diff if finite else None,
                "gradEmbed": fl(ge) if finite else None, "gradProxy": fl(gp) if finite else None,
            }
            if case["name"] == "reference-1.3" and tau == 1.0:
                row["referenceDocValue"] = DOC_2C
                row["agreesWithReferenceDoc"] = bool(round(float(per_np.mean()), 6) == DOC_2C)
                doc_rows.append((tau, None, "2C", float(per_np.mean()), DOC_2C))
            out["contrastive"].append(row)

    # ---------------- cross-entropy (ACGAN classifier loss) ----------------
    rng = np.random.default_rng(7)
    ce_cases = [
        ("C05-zeros", np.zeros((3, 10)), [0, 5, 9]),
        ("random-6x4", rng.standard_normal((6, 4)) * 3, [0, 3, 1, 1, 2, 0]),
        ("extreme", np.array([[300.0, -300.0, 0.0], [-300.0, 300.0, 0.0], [1e4, -1e4, 0.0]]), [1, 1, 2]),
    ]
    for name, logits, labels in ce_cases:
        lse = np.max(logits, 1) + np.log(np.sum(np.exp(logits - np.max(logits, 1, keepdims=True)), 1))
        per = lse - logits[np.arange(len(labels)), labels]
        soft = np.exp(logits - lse[:, None])
        onehot = np.eye(logits.shape[1])[labels]
        grad = (soft - onehot) / len(labels)
        lt = torch.tensor(logits, requires_grad=True)
        tl = torch.nn.functional.cross_entropy(lt, torch.tensor(labels))
        tl.backward()
        out["crossEntropy"].append({
            "case": name, "logits": fl(logits), "labels": labels, "perSample": fl(per), "value": float(per.mean()),
            "gradLogits": fl(grad), "torchValue": float(tl.detach()), "maxAbsDiffNumpyTorch": max(abs(float(tl.detach()) - per.mean()), max_abs(grad, lt.grad.numpy())),
        })

    # ---------------- Crammer-Singer multi-hinge ----------------
    cs_cases = [
        ("random-6x5", rng.standard_normal((6, 5)) * 2, [0, 4, 2, 4, 1, 3]),
        ("margin-satisfied", np.array([[5.0, 0.0, 1.0], [0.0, 0.5, 3.0]]), [0, 2]),
        ("ties", np.array([[1.0, 1.0, 1.0], [2.0, 0.0, 2.0]]), [1, 0]),
    ]
    for name, logits, labels in cs_cases:
        n, k = logits.shape
        per, grad = [], np.zeros_like(logits)
        for i, t in enumerate(labels):
            wrong = [j for j in range(k) if j != t]
            jmax = max(wrong, key=lambda j: logits[i, j])
            v = 1.0 + logits[i, jmax] - logits[i, t]
            per.append(max(v, 0.0))
            if v > 0:
                grad[i, jmax] += 1.0 / n
                grad[i, t] -= 1.0 / n
        # torch float64 transcription of the criterion (mask the target, max over the wrong columns)
        lt = torch.tensor(logits, requires_grad=True)
        tgt = torch.tensor(labels)
        keep = torch.ones_like(lt, dtype=torch.bool)
        keep[torch.arange(n), tgt] = False
        wrongs = lt[keep].view(n, k - 1)
        tval = torch.relu(1 + wrongs.max(1).values - lt[torch.arange(n), tgt]).mean()
        tval.backward()
        out["crammerSinger"].append({
            "case": name, "logits": fl(logits), "labels": labels, "perSample": per, "value": float(np.mean(per)),
            "gradLogits": fl(grad),
            "gradNote": "subgradient: on ties among the wrong columns the first maximal column takes the gradient (torch.max(dim) on CPU does the same)",
            "torchValue": float(tval.detach()), "maxAbsDiffNumpyTorch": max(abs(float(tval.detach()) - np.mean(per)), max_abs(grad, lt.grad.numpy())),
        })

    # ---------------- adversarial losses ----------------
    adv_inputs = [
        ("C01-1 zeros", [0.0], [0.0]),
        ("C01-2 fake 50", [0.0], [50.0]),
        ("C01-3 real -300", [-300.0], [0.0]),
        ("C01-4 fake -100", [0.0], [-100.0]),
        ("C01-6 hinge margin", [0.5], [-0.5]),
        ("C01-6 hinge satisfied", [2.0], [-2.0]),
        ("extreme ±300", [300.0, -300.0, 0.5], [-300.0, 300.0, -0.5]),
        ("extreme ±1e4", [1e4, -1e4], [-1e4, 1e4]),
        ("random", list(rng.standard_normal(7) * 2), list(rng.standard_normal(7) * 2)),
    ]

    def adv(name, r, f):
        r, f = np.asarray(r), np.asarray(f)
        nr, nf = len(r), len(f)
        if name == "hinge":
            d = np.mean(np.maximum(1 - r, 0)) + np.mean(np.maximum(1 + f, 0))
            dr = -(1 - r > 0).astype(np.float64) / nr
            df = (1 + f > 0).astype(np.float64) / nf
            g = -np.mean(f)
            gf = -np.ones(nf) / nf
        elif name == "logistic":
            d = np.mean(np_softplus(-r)) + np.mean(np_softplus(f))
            dr = -np_sigmoid(-r) / nr
            df = np_sigmoid(f) / nf
            g = np.mean(np_softplus(-f))
            gf = -np_sigmoid(-f) / nf
        elif name == "least_squares":
            d = np.mean(0.5 * (r - 1) ** 2) + np.mean(0.5 * f ** 2)
            dr = (r - 1) / nr
            df = f / nf
            g = np.mean(0.5 * (f - 1) ** 2)
            gf = (f - 1) / nf
        elif name == "wasserstein":
            d = np.mean(f) - np.mean(r)
            dr = -np.ones(nr) / nr
            df = np.ones(nf) / nf
            g = -np.mean(f)
            gf = -np.ones(nf) / nf
        return float(d), dr, df, float(g), gf

    def torch_adv(name, r, f):
        rt = torch.tensor(r, requires_grad=True)
        ft = torch.tensor(f, requires_grad=True)
        F = torch.nn.functional
        if name == "hinge":
            d = F.relu(1 - rt).mean() + F.relu(1 + ft).mean()
        elif name == "logistic":
            d = F.softplus(-rt).mean() + F.softplus(ft).mean()
        elif name == "least_squares":
            d = (0.5 * (rt - 1) ** 2).mean() + (0.5 * ft ** 2).mean()
        else:
            d = ft.mean() - rt.mean()
        d.backward()
        return float(d.detach()), rt.grad.numpy(), ft.grad.numpy()

    worst_adv = 0.0
    for name in ("hinge", "logistic", "least_squares", "wasserstein"):
        for case, r, f in adv_inputs:
            d, dr, df, g, gf = adv(name, r, f)
            td, tdr, tdf = torch_adv(name, r, f)
            # torch's softplus switches to the identity above 20 (abs error <= e^-20 ~ 2e-9): compare relatively
            diff = max(abs(td - d) / max(1.0, abs(d)), max_abs(tdr, dr), max_abs(tdf, df))
            worst_adv = max(worst_adv, diff)
            out["adversarial"].append({
                "loss": name, "case": case, "real": fl(r), "fake": fl(f),
                "discriminator": d, "generator": g,
                "gradDiscriminatorReal": fl(dr), "gradDiscriminatorFake": fl(df), "gradGeneratorFake": fl(gf),
                "torchRelDiffDiscriminator": diff,
            })

    out["provenance"]["maxAbsDiffNumpyTorchContrastive"] = worst_np_torch
    out["provenance"]["maxDiffNumpyTorchAdversarial"] = worst_adv
    out["provenance"]["referenceDocComparison"] = [
        {"temperature": t, "positiveMargin": m, "variant": v, "ours": ours, "doc": doc,
         "agreesTo6Decimals": bool(round(ours, 6) == doc)} for (t, m, v, ours, doc) in doc_rows
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(HERE.parents[2])} ({OUT.stat().st_size} bytes)")
    print(f"numpy vs torch (contrastive, tau >= 0.05 for 2C): max abs diff {worst_np_torch:.3e}")
    print(f"numpy vs torch (adversarial): max diff {worst_adv:.3e}")
    for t, m, v, ours, doc in doc_rows:
        print(f"  tau={t} m_p={m} {v:9s} ours={ours:.9f} doc={doc} {'agrees' if round(ours, 6) == doc else 'DIFFERS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
