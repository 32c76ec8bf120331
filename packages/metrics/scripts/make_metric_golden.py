"""Golden values for the metric math, computed the way pytorch-fid / StudioGAN / clovaai-prdc /
torch-fidelity do (formulas re-written here, numpy/scipy/torch float64).

Run: .venv-reference/bin/python packages/metrics/scripts/make_metric_golden.py
Writes packages/metrics/src/__fixtures__/{metric-golden.json, moments-numpy.npz}.
"""
import json
import os
import sys

import numpy as np
import scipy
import scipy.linalg
import torch
import torch.nn.functional as F

out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "__fixtures__")
os.makedirs(out_dir, exist_ok=True)
rng = np.random.default_rng(20211206)


def fid_reference(x1, x2, eps=1e-6):
    """pytorch-fid calculate_frechet_distance on np.cov(rowvar=False) statistics (float64)."""
    mu1, mu2 = x1.mean(0), x2.mean(0)
    s1, s2 = np.cov(x1, rowvar=False), np.cov(x2, rowvar=False)
    diff = mu1 - mu2
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(s1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((s1 + offset).dot(s2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)), mu1, s1


fid_cases = []
for name, n1, n2, d, shift, scale in [("full-rank d16", 120, 90, 16, 0.3, 1.4), ("correlated d24", 200, 150, 24, 0.0, 0.8),
                                       ("large mean d8", 60, 70, 8, 1000.0, 1.0)]:
    a = rng.standard_normal((d, d))
    x1 = rng.standard_normal((n1, d)) @ a + (1000.0 if "large" in name else 0.0)
    b = rng.standard_normal((d, d)) * 0.5 + np.eye(d)
    x2 = (rng.standard_normal((n2, d)) @ b) * scale + shift + (1000.0 if "large" in name else 0.0)
    fid, mu1, s1 = fid_reference(x1, x2)
    fid_cases.append({"name": name, "x1": x1.tolist(), "x2": x2.tolist(), "fid": fid,
                      "mu1": mu1.tolist(), "sigma1": s1.reshape(-1).tolist()})

# PRDC (Naeem et al. 2020; the clovaai implementation's definitions), k = 3 on small clustered sets.
real = np.concatenate([rng.standard_normal((30, 5)), rng.standard_normal((20, 5)) + 4])
fake = np.concatenate([rng.standard_normal((25, 5)) * 1.3 + 0.2, rng.standard_normal((15, 5)) + [8, 0, 0, 0, 0]])


def pdist(a, b):
    return np.sqrt(np.maximum(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1), 0))


k = 3
rr, ff, rf = pdist(real, real), pdist(fake, fake), pdist(real, fake)
real_r = np.partition(rr, k, axis=1)[:, k]
fake_r = np.partition(ff, k, axis=1)[:, k]
prdc = {
    "real": real.tolist(), "fake": fake.tolist(), "k": k,
    "precision": float((rf < real_r[:, None]).any(axis=0).mean()),
    "recall": float((rf < fake_r[None, :]).any(axis=1).mean()),
    "density": float((1.0 / k) * (rf < real_r[:, None]).sum(axis=0).mean()),
    "coverage": float((rf.min(axis=1) < real_r).mean()),
}

# KID, one subset = the whole sets (torch-fidelity's unbiased MMD² with the cubic polynomial kernel).
kx = rng.standard_normal((40, 6))
ky = rng.standard_normal((40, 6)) * 1.2 + 0.3
d = kx.shape[1]
kern = lambda a, b: (a @ b.T / d + 1) ** 3
m = kx.shape[0]
kxx, kyy, kxy = kern(kx, kx), kern(ky, ky), kern(kx, ky)
mmd = (kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.sum() / m ** 2
kid = {"x": kx.tolist(), "y": ky.tolist(), "mmd": float(mmd)}

# Bilinear resize, align_corners=False (F.interpolate), up and down, NHWC values.
resize_cases = []
for (h, w), (oh, ow) in [((5, 7), (11, 4)), ((9, 9), (4, 4)), ((4, 6), (13, 13))]:
    x = torch.from_numpy(rng.uniform(-1, 1, (1, 2, h, w)))
    y = F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=False)
    resize_cases.append({"input": x.permute(0, 2, 3, 1).reshape(-1).tolist(), "inShape": [1, h, w, 2],
                         "output": y.permute(0, 2, 3, 1).reshape(-1).tolist(), "outShape": [1, oh, ow, 2]})

# An .npz as StudioGAN / pytorch-fid write moments files (np.savez(mu=..., sigma=...)), float32 mu.
mu = rng.standard_normal(4)
sig = np.cov(rng.standard_normal((10, 4)), rowvar=False)
np.savez(os.path.join(out_dir, "moments-numpy.npz"), mu=mu.astype(np.float32), sigma=sig)

golden = {
    "provenance": {"script": "packages/metrics/scripts/make_metric_golden.py", "numpy": np.__version__,
                   "scipy": scipy.__version__, "torch": torch.__version__, "python": sys.version.split()[0],
                   "fid": "pytorch-fid calculate_frechet_distance (scipy.linalg.sqrtm) on np.cov(rowvar=False)",
                   "prdc": "clovaai generative-evaluation-prdc definitions, Euclidean, strict <",
                   "kid": "torch-fidelity MMD² (unbiased), kernel (x·y/d + 1)^3, one subset = all samples",
                   "resize": "torch.nn.functional.interpolate(mode='bilinear', align_corners=False)"},
    "fid": fid_cases, "prdc": prdc, "kid": kid, "resize": resize_cases,
    "npz": {"mu": mu.astype(np.float32).astype(np.float64).tolist(), "sigma": sig.reshape(-1).tolist()},
}
with open(os.path.join(out_dir, "metric-golden.json"), "w") as f:
    json.dump(golden, f)
print("wrote metric-golden.json and moments-numpy.npz to", os.path.normpath(out_dir))
