"""Golden values for reacgan's regulariser terms, produced by StudioGAN's own functions.

Nothing of StudioGAN is copied: the script imports `src/utils/losses.py` (`lecam_reg`, `cal_r1_reg`,
`cal_grad_penalty`) and `src/utils/ops.py` (`LeCamEMA`) from a checkout of POSTECH-CVLab/PyTorch-StudioGAN at
master 947b35e (where LeCam and `r1_place` live; `cal_r1_reg` and `cal_grad_penalty` equal v0.3.0's apart from
a `+ x[:, 0, 0, 0].mean() * 0` term) and calls them; the consistency terms use `torch.nn.MSELoss()`, which is
StudioGAN's `l2_loss` (`worker.py`). The one stand-in: `pkg_resources.parse_version` (master's
`conv2d_gradfix` compares torch's version at import; setuptools >= 81 no longer ships pkg_resources).

Cases (float32 inputs; references computed in float64 from the same float32 values, with the largest
|float32 − float64| of StudioGAN's own float32 run as `gap`):
- consistency: MSELoss(a, b) and its gradient with respect to a;
- lecam: `LeCamEMA(decay=0.9, start_iter=2)` updated with D's mean real and fake outputs at steps 0..5 and
  `lecam_reg` applied when step > start_iter, exactly in the order of master's `worker.train_discriminator`
  (update D_real, update D_fake, then the regulariser); the EMAs and the values per step, and ∂R/∂(outputs);
- r1 / gp: a tiny discriminator (conv 3×3 + bias + ReLU → 2×2 max pool → 1×1 conv logits → softmax over
  channels ⊙ features → 2×2 average pool → ReLU → spatial sum → linear) whose weights are in the fixture;
  `cal_r1_reg(adv_output, images)` and `cal_grad_penalty(real, labels, fake, D)` (its `torch.rand` α
  replaced by recorded draws), their values and their gradients with respect to every weight (second order).

Run from the repository root:
  .venv-reference/bin/python packages/reacgan/scripts/make_regularizer_golden.py --studiogan /tmp/studiogan-947b35e 2>/dev/null
Writes packages/reacgan/test/__fixtures__/regularizer-golden.json.
"""

import argparse
import json
import os
import re
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "__fixtures__", "regularizer-golden.json")
SCRIPT = "packages/reacgan/scripts/make_regularizer_golden.py"


def f32(values):
    return [float(str(v)) for v in np.asarray(values, dtype=np.float32).reshape(-1)]


def load(checkout):
    if "pkg_resources" not in sys.modules:
        try:
            import pkg_resources  # noqa: F401
        except ImportError:
            stub = types.ModuleType("pkg_resources")
            stub.parse_version = lambda text: tuple(int(p) for p in re.findall(r"\d+", text.split("+")[0])[:3])
            sys.modules["pkg_resources"] = stub
    sys.path.insert(0, os.path.join(checkout, "src"))
    import utils.losses as losses
    import utils.ops as ops
    return losses, ops


def tiny_d(weights, dtype):
    """The tiny discriminator: x NCHW → {'adv_output': [N]}. Weights are NHWC-side arrays (see `layout`)."""
    w = {k: torch.tensor(v, dtype=dtype, requires_grad=True) for k, v in weights.items()}

    def forward(x, labels=None, eval=False):  # noqa: A002 (StudioGAN's keyword)
        h = F.relu(F.conv2d(x, w["conv.weight"].permute(3, 2, 0, 1), w["conv.bias"], padding=1))
        h = F.max_pool2d(h, 2)
        a = F.softmax(F.conv2d(h, w["attn.weight"].permute(3, 2, 0, 1)), dim=1)
        h = F.relu(F.avg_pool2d(h * a, 2))
        pooled = h.sum(dim=(2, 3))
        return {"adv_output": (pooled @ w["linear.weight"] + w["linear.bias"]).view(-1)}

    return forward, w


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--studiogan", required=True, help="a StudioGAN checkout at master (947b35e)")
    args = parser.parse_args()
    losses, ops = load(args.studiogan)
    rng = np.random.default_rng(20260602)
    out = {}

    # ---- consistency: MSELoss (StudioGAN worker.l2_loss)
    cases = []
    for shape in [(6,), (5, 4)]:
        a = rng.normal(size=shape).astype(np.float32)
        b = rng.normal(size=shape).astype(np.float32)
        res = {}
        for dtype in (torch.float64, torch.float32):
            ta = torch.tensor(a, dtype=dtype, requires_grad=True)
            v = torch.nn.MSELoss()(ta, torch.tensor(b, dtype=dtype))
            v.backward()
            res[dtype] = (v.item(), ta.grad.numpy())
        cases.append({"a": f32(a), "b": f32(b), "shape": list(shape), "value": res[torch.float64][0], "gradA": f32(res[torch.float64][1]),
                      "gap": max(abs(res[torch.float32][0] - res[torch.float64][0]), float(np.abs(res[torch.float32][1] - res[torch.float64][1]).max()))})
    out["consistency"] = cases

    # ---- LeCam: master worker.train_discriminator's order with ops.LeCamEMA and losses.lecam_reg
    decay, start = 0.9, 2
    steps = []
    seq = [(rng.normal(size=5).astype(np.float32) + 1.0, rng.normal(size=5).astype(np.float32) - 1.0) for _ in range(6)]
    ema = {dtype: ops.LeCamEMA(decay=decay, start_iter=start) for dtype in (torch.float64, torch.float32)}
    for step, (real, fake) in enumerate(seq):
        rec = {"step": step, "real": f32(real), "fake": f32(fake)}
        vals = {}
        for dtype in (torch.float64, torch.float32):
            e = ema[dtype]
            r = torch.tensor(real, dtype=dtype, requires_grad=True)
            f = torch.tensor(fake, dtype=dtype, requires_grad=True)
            e.update(torch.mean(r).item(), "D_real", step)
            e.update(torch.mean(f).item(), "D_fake", step)
            if step > start:
                reg = losses.lecam_reg(r, f, e)
                reg.backward()
                vals[dtype] = (reg.item(), r.grad.numpy(), f.grad.numpy(), e.D_real, e.D_fake)
            else:
                vals[dtype] = (None, None, None, e.D_real, e.D_fake)
        v64, v32 = vals[torch.float64], vals[torch.float32]
        rec.update({"emaReal": v64[3], "emaFake": v64[4], "value": v64[0]})
        if v64[0] is not None:
            rec.update({"gradReal": f32(v64[1]), "gradFake": f32(v64[2]), "gap": abs(v32[0] - v64[0])})
        steps.append(rec)
    out["lecam"] = {"decay": decay, "startIter": start, "init": 7777, "steps": steps}

    # ---- R1 and GP through a tiny discriminator (second order)
    n, h, w, c, k = 3, 8, 8, 2, 4
    weights = {
        "conv.weight": (rng.normal(size=(3, 3, c, k)) * 0.5).astype(np.float32),  # [kh, kw, in, out]
        "conv.bias": (rng.normal(size=(k,)) * 0.1).astype(np.float32),
        "attn.weight": (rng.normal(size=(1, 1, k, k)) * 0.5).astype(np.float32),
        "linear.weight": (rng.normal(size=(k, 1)) * 0.5).astype(np.float32),
        "linear.bias": (rng.normal(size=(1,)) * 0.1).astype(np.float32),
    }
    real = (rng.random((n, h, w, c)) * 2 - 1).astype(np.float32)
    fake = (rng.random((n, h, w, c)) * 2 - 1).astype(np.float32)
    alpha = rng.random(n).astype(np.float32)
    labels = torch.zeros(n, dtype=torch.long)
    reg = {}
    for name in ("r1", "gp"):
        res = {}
        for dtype in (torch.float64, torch.float32):
            d, params = tiny_d(weights, dtype)
            x_real = torch.tensor(real, dtype=dtype).permute(0, 3, 1, 2).contiguous()
            if name == "r1":
                x_real.requires_grad_(True)
                value = losses.cal_r1_reg(adv_output=d(x_real)["adv_output"], images=x_real, device="cpu")
            else:
                x_fake = torch.tensor(fake, dtype=dtype).permute(0, 3, 1, 2).contiguous()
                original = losses.torch.rand
                losses.torch.rand = lambda *size: torch.tensor(alpha, dtype=torch.float32).view(*size)
                try:
                    value = losses.cal_grad_penalty(real_images=x_real, real_labels=labels, fake_images=x_fake, discriminator=d, device="cpu")
                finally:
                    losses.torch.rand = original
            value.backward()
            res[dtype] = (value.item(), {key: (p.grad.numpy() if p.grad is not None else np.zeros(p.shape)) for key, p in params.items()})
        v64, g64 = res[torch.float64]
        v32, g32 = res[torch.float32]
        reg[name] = {
            "value": v64,
            "grads": {key: f32(g) for key, g in g64.items()},
            "gapValue": abs(v32 - v64),
            "gapGrads": max(float(np.abs(g32[key] - g64[key]).max()) for key in g64),
            "scaleGrads": max(float(np.abs(g64[key]).max()) for key in g64),
        }
    out["tinyDiscriminator"] = {
        "layout": "images NHWC [N, H, W, C]; conv weights [kh, kw, in, out]; linear [in, out] (StudioGAN ran NCHW permutes)",
        "architecture": "relu(conv3x3(x) + b) → maxpool2 → h·softmax_c(conv1x1(h)) → avgpool2 → relu → sum over H, W → linear",
        "weights": {key: {"shape": list(v.shape), "values": f32(v)} for key, v in weights.items()},
        "real": f32(real), "fake": f32(fake), "shape": [n, h, w, c], "alpha": f32(alpha),
        **reg,
    }
    out["provenance"] = {
        "script": SCRIPT,
        "reference": "POSTECH-CVLab/PyTorch-StudioGAN master 947b35e: src/utils/losses.py lecam_reg, cal_r1_reg, cal_grad_penalty; "
                     "src/utils/ops.py LeCamEMA; torch.nn.MSELoss (worker.l2_loss); called unmodified",
        "torch": torch.__version__,
        "numpy": np.__version__,
        "draws": "NumPy default_rng(20260602); GP's α replaces torch.rand inside cal_grad_penalty",
        "reference_precision": "values and gradients in float64 from the float32 inputs; gap* = |float32 − float64| of StudioGAN's float32 run",
        "command": ".venv-reference/bin/python " + SCRIPT + " --studiogan /tmp/studiogan-947b35e",
    }
    with open(OUT, "w") as f:
        json.dump(out, f)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
