"""Golden values for reacgan's Adam: torch.optim.Adam (the optimizer StudioGAN uses) on fixed gradients.

Run: /work/main/.venv-reference/bin/python packages/reacgan/scripts/make-adam-golden.py
Writes packages/reacgan/test/__fixtures__/adam-golden.json.
"""
import json
import os

import torch

torch.manual_seed(0)
cases = []
for name, kwargs in [
    ("studiogan", dict(lr=2e-4, betas=(0.5, 0.999), eps=1e-6, weight_decay=0.0)),
    ("tiny-imagenet", dict(lr=4e-4, betas=(0.0, 0.999), eps=1e-6, weight_decay=0.0)),
    ("weight-decay", dict(lr=1e-3, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01)),
]:
    p0 = torch.randn(3, 4, dtype=torch.float64)
    grads = [torch.randn(3, 4, dtype=torch.float64) * (10.0 ** -k) for k in range(5)]
    p = torch.nn.Parameter(p0.clone())
    opt = torch.optim.Adam([p], **kwargs)
    for g in grads:
        opt.zero_grad()
        p.grad = g.clone()
        opt.step()
    state = opt.state[p]
    cases.append({
        "name": name,
        "options": {"learningRate": kwargs["lr"], "beta1": kwargs["betas"][0], "beta2": kwargs["betas"][1],
                    "epsilon": kwargs["eps"], "weightDecay": kwargs["weight_decay"]},
        "shape": [3, 4],
        "initial": p0.flatten().tolist(),
        "grads": [g.flatten().tolist() for g in grads],
        "final": p.detach().flatten().tolist(),
        "expAvg": state["exp_avg"].flatten().tolist(),
        "expAvgSq": state["exp_avg_sq"].flatten().tolist(),
    })

out = {
    "provenance": f"torch {torch.__version__} torch.optim.Adam, float64, 5 steps on fixed random gradients (scripts/make-adam-golden.py)",
    "cases": cases,
}
path = os.path.join(os.path.dirname(__file__), "..", "test", "__fixtures__", "adam-golden.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", os.path.normpath(path))
