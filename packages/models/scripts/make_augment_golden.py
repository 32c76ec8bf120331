"""Golden values for @reacgan/models' augmentations, produced by StudioGAN's own functions.

Nothing of StudioGAN is copied: the script imports `src/utils/diffaug.py` (`apply_diffaug`) and `src/utils/cr.py`
(`apply_cr_aug`) from a checkout of POSTECH-CVLab/PyTorch-StudioGAN and runs them. Their random draws
(`torch.rand`, `torch.randint`, `torch.FloatTensor(n, 1).uniform_`) are replaced, inside those two modules only,
by draws made here with NumPy and recorded in the fixture, in the order StudioGAN makes them; the TypeScript
tests pass the same draws to `diffAugment` / `crAugment`.

Checkout: v.0.3.0 (6650d2f); both files are identical at master (947b35e).
  git -C <mirror or clone> archive 6650d2f | tar -x -C /tmp/studiogan-6650d2f

Run from the repository root:
  .venv-reference/bin/python packages/models/scripts/make_augment_golden.py --studiogan /tmp/studiogan-6650d2f 2>/dev/null

Writes packages/models/src/__fixtures__/augment-golden.json: per case the input x (NHWC), the draws, weights w,
the output and d(Σ w·out)/dx computed in float64 from the float32 inputs (the reference), and the largest
|float32 − float64| difference of StudioGAN's own float32 run of the same case (the error model the tests use).
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "src", "__fixtures__", "augment-golden.json")
SCRIPT = "packages/models/scripts/make_augment_golden.py"


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ScriptedTorch:
    """Stands in for the `torch` name inside one StudioGAN module: random draws come from a queue."""

    def __init__(self, queue):
        self.queue = queue

    def __getattr__(self, name):
        return getattr(torch, name)

    def _next(self, kind, count):
        got_kind, values = self.queue.pop(0)
        assert got_kind == kind and len(values) == count, (kind, count, got_kind, len(values))
        return values

    def rand(self, *size, dtype=None, device=None):
        n = int(np.prod(size))
        return torch.tensor(self._next("uniform", n), dtype=dtype or torch.float32).view(*size)

    def randint(self, low, high, size, device=None):
        n = int(np.prod(size))
        values = self._next("integers", n)
        assert all(low <= v < high for v in values), (low, high, values)
        return torch.tensor(values, dtype=torch.long).view(*size)

    def FloatTensor(self, *size):  # noqa: N802 (StudioGAN's spelling)
        outer = self

        class Draw:
            def uniform_(self, low, high):
                assert (low, high) == (0.0, 1.0)
                return torch.tensor(outer._next("uniform", int(np.prod(size))), dtype=torch.float32).view(*size)

        return Draw()


def diffaug_draws(rng, n, h, w, policy):
    """StudioGAN's order: brightness, saturation, contrast, translation x, y, cutout x, y."""
    draws, queue = {}, []
    for p in policy.split(","):
        if p == "color":
            for key in ("brightness", "saturation", "contrast"):
                draws[key] = f32(rng.random(n))
                queue.append(("uniform", draws[key]))
        elif p == "translation":
            sx, sy = int(h * 0.125 + 0.5), int(w * 0.125 + 0.5)
            draws["translationX"] = rng.integers(-sx, sx + 1, n).tolist()
            draws["translationY"] = rng.integers(-sy, sy + 1, n).tolist()
            queue += [("integers", draws["translationX"]), ("integers", draws["translationY"])]
        elif p == "cutout":
            ch, cw = int(h * 0.5 + 0.5), int(w * 0.5 + 0.5)
            draws["cutoutX"] = rng.integers(0, h + (1 - ch % 2), n).tolist()
            draws["cutoutY"] = rng.integers(0, w + (1 - cw % 2), n).tolist()
            queue += [("integers", draws["cutoutX"]), ("integers", draws["cutoutY"])]
    return draws, queue


def cr_draws(rng, n, h, w):
    """StudioGAN's order: flip probabilities, translation x, y."""
    mx, my = int(h * (1 / 8)), int(w * (1 / 8))
    draws = {
        "flip": f32(rng.random(n)),
        "translationX": rng.integers(-mx, mx + 1, n).tolist(),
        "translationY": rng.integers(-my, my + 1, n).tolist(),
    }
    return draws, [("uniform", draws["flip"]), ("integers", draws["translationX"]), ("integers", draws["translationY"])]


def f32(values):
    """float32 values as their shortest decimal form (exact in float32, half the JSON of repr(float64))."""
    return [float(str(v)) for v in np.asarray(values, dtype=np.float32).reshape(-1)]


def run(module, fn, x_nhwc, weights_nhwc, queue, dtype):
    module.torch = ScriptedTorch(list(queue))
    x = torch.tensor(x_nhwc, dtype=dtype).permute(0, 3, 1, 2).contiguous().requires_grad_(True)
    out = fn(x)
    (out * torch.tensor(weights_nhwc, dtype=dtype).permute(0, 3, 1, 2)).sum().backward()
    assert not module.torch.queue, "unused draws"
    module.torch = torch
    return out.detach().permute(0, 2, 3, 1).numpy(), x.grad.permute(0, 2, 3, 1).numpy()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--studiogan", required=True, help="a StudioGAN checkout (v.0.3.0 6650d2f)")
    args = parser.parse_args()
    utils = os.path.join(args.studiogan, "src", "utils")
    diffaug = load(os.path.join(utils, "diffaug.py"), "studiogan_diffaug")
    cr = load(os.path.join(utils, "cr.py"), "studiogan_cr")
    commit = subprocess.run(["git", "-C", args.studiogan, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip() or "6650d2f (archive)"

    rng = np.random.default_rng(20260601)
    cases = []
    specs = [
        ("diffaug", "color,translation,cutout", (3, 8, 8, 3)),
        ("diffaug", "color,translation,cutout", (1, 32, 32, 1)),
        ("diffaug", "color,translation,cutout", (2, 12, 10, 3)),
        ("diffaug", "translation", (2, 9, 7, 2)),
        ("diffaug", "cutout", (2, 9, 7, 2)),
        ("diffaug", "color", (2, 6, 6, 3)),
        ("cr", None, (3, 8, 8, 3)),
        ("cr", None, (1, 32, 32, 1)),
        ("cr", None, (2, 16, 24, 3)),
    ]
    for op, policy, shape in specs:
        n, h, w, c = shape
        x = (rng.random(shape) * 2 - 1).astype(np.float32)
        weights = rng.normal(size=shape).astype(np.float32)
        if op == "diffaug":
            draws, queue = diffaug_draws(rng, n, h, w, policy)
            fn = lambda t, p=policy: diffaug.apply_diffaug(t, policy=p)  # noqa: E731
            module = diffaug
        else:
            draws, queue = cr_draws(rng, n, h, w)
            fn = cr.apply_cr_aug
            module = cr
        out64, grad64 = run(module, fn, x, weights, queue, torch.float64)
        out32, grad32 = run(module, fn, x, weights, queue, torch.float32)
        cases.append({
            "name": f"{op}{'' if policy is None else ' ' + policy} {list(shape)}",
            "op": op,
            "policy": policy,
            "shape": list(shape),
            "x": f32(x),
            "weights": f32(weights),
            "draws": draws,
            "output": f32(out64),
            "gradX": f32(grad64),
            "gapOutput": float(np.abs(out32.astype(np.float64) - out64).max()),
            "gapGrad": float(np.abs(grad32.astype(np.float64) - grad64).max()),
        })
    fixture = {
        "provenance": {
            "script": SCRIPT,
            "reference": "POSTECH-CVLab/PyTorch-StudioGAN src/utils/diffaug.py apply_diffaug and src/utils/cr.py apply_cr_aug, run unmodified",
            "studiogan": commit,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "draws": "NumPy default_rng(20260601), fed to StudioGAN in its own order in place of torch.rand / torch.randint / FloatTensor.uniform_",
            "layout": "images NHWC, flattened row-major; StudioGAN ran on NCHW permutes of the same values",
            "reference_precision": "output and gradX computed in float64 from the float32 x and weights; gap* = max |float32 − float64| of StudioGAN's float32 run",
            "command": ".venv-reference/bin/python " + SCRIPT + " --studiogan /tmp/studiogan-6650d2f",
        },
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f)
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} cases", file=sys.stdout)


if __name__ == "__main__":
    main()
