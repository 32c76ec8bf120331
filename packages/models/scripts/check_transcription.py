"""Checks the PyTorch transcription (studiogan_reference.py, which the benchmark times) against the fixtures
StudioGAN's own code produced (studiogan_fixtures.py), so the two cannot drift apart.

For every fixture: builds G and D with the transcription from the fixture's model configuration, loads the
fixture's initial weights, and compares the eval-mode, sampling-mode (BN eval or batch statistics, spectral
norm power-iterating) and train-mode outputs and the SN vectors / BN statistics a train-mode pass leaves,
with the tolerance of the TypeScript tests (8 × PyTorch's own float32 gap + 16 float32 unit roundoffs of the
result's scale). Prints one JSON line per fixture ({"fixture", "worst", "failures"}); exits 1 on a failure.

Run: .venv-reference/bin/python packages/models/scripts/check_transcription.py [FIXTURE ...] 2>/dev/null
"""

import json
import os
import sys

import torch
from safetensors import safe_open

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import studiogan_reference as ref  # noqa: E402
from studiogan_fixtures import DEFAULT_OUT, FIXTURES, PTH_ONLY, grid, hash_weights  # noqa: E402

UNIT_ROUNDOFF = 2.0 ** -24
D_OUTPUTS = {"h": "h", "adv_output": "advOutput", "embed": "embed", "proxy": "proxy", "cls_output": "clsOutput"}


def tolerance(gap, reference):
    scale = float(reference.abs().max()) if reference.numel() else 0.0
    g = max(gap) if isinstance(gap, list) else gap
    return 8 * g + 16 * UNIT_ROUNDOFF * max(1.0, scale)


def check(name):
    path = os.path.join(DEFAULT_OUT, f"{name}.safetensors")
    f = safe_open(path, "pt")
    meta = f.metadata()
    model = json.loads(meta["model"])
    data = json.loads(meta["data"])
    gaps = json.loads(meta["gaps"])
    cfg = dict(ref.DEFAULTS, **model)
    torch.manual_seed(0)
    G, D = ref.build(cfg, data)
    state = {k: f.get_tensor(k) for k in f.keys() if k.startswith(("G.", "D."))}
    for g in json.loads(meta["generated"]):
        state[g["key"]] = torch.from_numpy(hash_weights(g["key"], tuple(g["shape"]), g["scaleExp"]))
    G.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("G.")})
    D.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("D.")})
    g0 = {k: v.clone() for k, v in G.state_dict().items()}
    z, y = f.get_tensor("input.z"), f.get_tensor("input.labels").long()
    x = (f.get_tensor("input.xCodes").double() / 127.5 - 1.0).float().permute(0, 3, 1, 2).contiguous()
    worst, failures = 0.0, []

    def compare(key, ours):
        nonlocal worst
        want = f.get_tensor(key)
        if ours.dim() == 4:
            ours = ours.permute(0, 2, 3, 1)
            if key.endswith(".G"):
                ours = grid(ours, ours.shape[1])
        diff = float((ours.double() - want.double()).abs().max())
        tol = tolerance(gaps[key], want) if want.is_floating_point() else 0.0
        worst = max(worst, diff / tol if tol else (0.0 if diff == 0 else float("inf")))
        if diff > tol:
            failures.append(f"{key}: max |transcription − StudioGAN| {diff:.3g} > {tol:.3g}")

    with torch.no_grad():
        G.eval()
        D.eval()
        compare("eval.G", G(z, y))
        out = D(x, y)
        for theirs, ours in D_OUTPUTS.items():
            if f"eval.D.{theirs}" in f.keys():
                compare(f"eval.D.{theirs}", out[ours])
        for mode, batch in [("running", False), ("batch", True)]:
            G.load_state_dict(g0)
            G.eval()
            for m in G.modules():
                if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear, torch.nn.Embedding)):
                    m.train()  # StudioGAN's sampling mode: spectral norm power-iterates
                if batch and isinstance(m, torch.nn.BatchNorm2d):
                    m.train()
                    m.track_running_stats = False
            compare(f"sample.{mode}.G", G(z, y))
            for m in G.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.track_running_stats = True
        G.load_state_dict(g0)
        G.train()
        D.train()
        compare("train.G", G(z, y))
        out = D(x, y)
        for theirs, ours in D_OUTPUTS.items():
            if f"train.D.{theirs}" in f.keys():
                compare(f"train.D.{theirs}", out[ours])
        for prefix, module in [("train.after.G.", G), ("train.after.D.", D)]:
            for k, v in module.state_dict().items():
                if prefix + k in f.keys():
                    compare(prefix + k, v)
    return {"fixture": name, "worst": worst, "failures": failures}


def main():
    names = sys.argv[1:] or [n for n in FIXTURES if n not in PTH_ONLY]
    ok = True
    for name in names:
        result = check(name)
        ok = ok and not result["failures"]
        print(json.dumps(result))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
