"""Golden values of the classifier-gradient diagnostics, produced by StudioGAN's own function.

StudioGAN's `misc.compute_gradient(fx, logits, label, num_classes)` (src/utils/misc.py, identical at v.0.3.0 =
6650d2f and master = 947b35e) returns, for D's pooled features fx [N, F], the AC head's logits [N, C] and the
labels: ‖fx_i‖, p(y_i | x_i) and per class ‖(1/N) Σ_i (onehot(y_i) − p_i)_c fx_i‖. Its logging call (mean and
std of each, every print_every steps, on the real batch of the last D update) lived in `train_discriminator`
from 7bbe223 / affe361 until 5883d8e. This script imports that function from a checkout and runs it on fixed
float64 inputs; nothing of StudioGAN is copied.

Checkout (never committed; any clone of the public repository works):
  git -C <clone> archive 6650d2f | tar -x -C /tmp/studiogan-6650d2f
(in this project's workspace a mirror is at /work/.mirror/POSTECH-CVLab+PyTorch-StudioGAN/repo.)

Run from the repository root in the reference environment:
  .venv-reference/bin/python packages/losses/scripts/make_diagnostics_golden.py --v030 /tmp/studiogan-6650d2f 2>/dev/null
It writes packages/losses/src/__fixtures__/diagnostics-golden.json.

misc.py imports modules the reference environment lacks (torchvision, seaborn, matplotlib, tqdm, and
StudioGAN's own utils.sample / utils.ckpt, which import more); they are replaced by stand-ins in
`sys.modules` whose attributes raise when called. compute_gradient uses only torch.

Independent check, also recorded: the same per-class norms from torch autograd of
F.cross_entropy(fx @ W, label) with respect to W (logits = fx @ W as StudioGAN's bias-free linear2), so the
fixture also pins that compute_gradient's `w_grads` is ‖∂L_CE/∂w_c‖.
"""

import argparse
import importlib
import json
import os
import platform
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F


class _Stand_in(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def _called(*args, **kwargs):
            raise RuntimeError(f"stand-in {self.__name__}.{name} was called")

        _called.__name__ = name
        return _called


def install_stubs():
    for name in [
        "torchvision", "torchvision.datasets", "torchvision.utils", "torchvision.transforms",
        "seaborn", "matplotlib", "matplotlib.pyplot", "tqdm",
        "utils.sample", "utils.losses", "utils.ckpt",
    ]:
        module = _Stand_in(name)
        sys.modules[name] = module
    sys.modules["torchvision.datasets"].CIFAR10 = object
    sys.modules["torchvision.datasets"].CIFAR100 = object
    sys.modules["torchvision.utils"].save_image = None
    sys.modules["tqdm"].tqdm = None
    sys.modules["matplotlib"].pyplot = sys.modules["matplotlib.pyplot"]


def case(name, n, f, c, scale, seed, labels=None):
    rng = np.random.default_rng(seed)
    fx = rng.standard_normal((n, f)) * scale
    # a ReLU-like feature (D's h is non-negative: activation then sum pooling)
    fx = np.abs(fx)
    weight = rng.standard_normal((f, c)) / np.sqrt(f)
    if labels is None:
        labels = rng.integers(0, c, size=n)
    return name, fx, weight, np.asarray(labels, dtype=np.int64), c


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--v030", required=True, help="a checkout of StudioGAN at 6650d2f (its src/ is imported)")
    parser.add_argument("--out", default="packages/losses/src/__fixtures__/diagnostics-golden.json")
    args = parser.parse_args()
    install_stubs()
    sys.path.insert(0, os.path.join(args.v030, "src"))
    misc = importlib.import_module("utils.misc")
    torch.set_default_dtype(torch.float64)

    cases = [
        case("tiny", 6, 5, 4, 1.0, 1),
        case("large-features", 8, 6, 5, 40.0, 2),
        case("class-absent", 5, 4, 4, 2.0, 3, labels=[0, 1, 1, 3, 0]),
        case("confident", 6, 3, 3, 25.0, 4),
    ]
    rows = []
    max_autograd_diff = 0.0
    for name, fx, weight, labels, c in cases:
        fx_t = torch.tensor(fx)
        w_t = torch.tensor(weight, requires_grad=True)
        y_t = torch.tensor(labels)
        logits = fx_t @ w_t
        feat_norms, probs, w_grads = misc.compute_gradient(fx=fx_t, logits=logits, label=y_t, num_classes=c)
        loss = F.cross_entropy(logits, y_t)
        (grad_w,) = torch.autograd.grad(loss, w_t)
        autograd_norms = grad_w.t().norm(dim=1)
        max_autograd_diff = max(max_autograd_diff, float((autograd_norms - w_grads).abs().max()))
        rows.append({
            "case": name,
            "features": fx.tolist(),
            "weight": weight.tolist(),
            "logits": logits.detach().tolist(),
            "labels": labels.tolist(),
            "numClasses": c,
            "featureNorm": feat_norms.tolist(),
            "targetProbability": probs.tolist(),
            "weightGradientNorm": w_grads.tolist(),
            "summary": {
                "mean_feat_norms": float(feat_norms.mean()), "std_feat_norms": float(feat_norms.std()),
                "mean_probs": float(probs.mean()), "std_probs": float(probs.std()),
                "mean_w_grads": float(w_grads.mean()), "std_w_grads": float(w_grads.std()),
            },
            "autogradWeightGradientNorm": autograd_norms.tolist(),
        })
    out = {
        "provenance": {
            "script": "packages/losses/scripts/make_diagnostics_golden.py",
            "command": ".venv-reference/bin/python packages/losses/scripts/make_diagnostics_golden.py --v030 /tmp/studiogan-6650d2f",
            "studiogan": "POSTECH-CVLab/PyTorch-StudioGAN v.0.3.0 (6650d2f), src/utils/misc.py compute_gradient, imported and run",
            "dtype": "float64 (inputs drawn with numpy default_rng(seed); features |N(0,1)|·scale; weight N(0,1)/sqrt(F); logits = features @ weight)",
            "summary": "torch Tensor.mean() / Tensor.std() (unbiased), as StudioGAN logged them (mean_/std_feat_norms, _probs, _w_grads)",
            "autogradCheck": "‖∂ F.cross_entropy(features @ W, labels) / ∂W[:, c]‖ by torch autograd; max |autograd − compute_gradient|",
            "maxAbsDiffAutograd": max_autograd_diff,
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
        },
        "classifierGradient": rows,
    }
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    print(f"wrote {args.out}: {len(rows)} cases, max |autograd − compute_gradient| = {max_autograd_diff:.3e}")


if __name__ == "__main__":
    main()
