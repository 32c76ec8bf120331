"""Writes small PyTorch checkpoint files that exercise the .pth reader (src/torch/) and the values
they must decode to.

Run: .venv-reference/bin/python packages/metrics/scripts/make_torch_fixtures.py
Writes packages/metrics/src/torch/__fixtures__/{*.pt, expected.json}. Files are tiny (< 10 KB) and
committed, so the reader tests need no Python. Covered: the zip format of torch.save (torch >= 1.6,
data.pkl + data/<key> entries) with pickle protocols 2 and 4, the legacy format
(_use_new_zipfile_serialization=False: sequential pickles + raw storages), storages shared between
tensors with offsets and non-contiguous strides (_rebuild_tensor_v2), nn.Parameter
(_rebuild_parameter), nested checkpoints, 0-d and empty tensors, and the dtypes float32/64/16,
bfloat16, int64/32/16/8, uint8 and bool; and a training checkpoint shaped like StudioGAN's D file
(zip_training_state.pt): an OrderedDict state_dict with `_metadata` (spectral norm and batch norm
versions), an Adam optimizer state_dict after two steps (`state` keyed by parameter index, per-parameter
`step`, `param_groups`), NumPy scalars (float64 as StudioGAN's `best_fid`, float32, int64, bool; pickled
as numpy.core.multiarray.scalar(numpy.dtype, bytes), the bytes as _codecs.encode under protocol 2),
Python ints, floats, strings and None. (Not StudioGAN's code: the StudioGAN-written files are made by
packages/models/scripts/studiogan_fixtures.py.)
"""
import collections
import json
import os
import sys

import torch

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "torch", "__fixtures__")
os.makedirs(out, exist_ok=True)
g = torch.Generator().manual_seed(1234)


def state_basic():
    sd = collections.OrderedDict()
    sd["conv.weight"] = torch.randn(4, 3, 3, 3, generator=g)
    sd["bn.running_var"] = torch.rand(4, generator=g, dtype=torch.float64) + 0.5
    sd["half"] = torch.randn(2, 5, generator=g).half()
    sd["bf16"] = torch.randn(3, 2, generator=g).bfloat16()
    sd["bn.num_batches_tracked"] = torch.tensor(123456789012, dtype=torch.int64)
    sd["ints32"] = torch.arange(-3, 3, dtype=torch.int32).reshape(2, 3)
    sd["ints16"] = torch.tensor([-300, 0, 300], dtype=torch.int16)
    sd["ints8"] = torch.tensor([-100, 5, 100], dtype=torch.int8)
    sd["bytes"] = torch.tensor([0, 7, 255], dtype=torch.uint8)
    sd["mask"] = torch.tensor([True, False, True])
    sd["empty"] = torch.zeros(0, 4)
    sd["scalar"] = torch.tensor(2.5)
    return sd


def state_views():
    base = torch.arange(60, dtype=torch.float32).reshape(6, 10) / 7.0
    sd = collections.OrderedDict()
    sd["base"] = base
    sd["row_slice"] = base[2:4]            # storage offset 20, contiguous
    sd["col_slice"] = base[:, 3]           # offset 3, stride (10,)
    sd["transposed"] = base.t()            # strides (1, 10)
    sd["strided"] = base[1::2, ::3]        # offset 10, strides (20, 3)
    sd["expanded"] = torch.tensor([1.0, 2.0]).reshape(2, 1).expand(2, 3)  # stride 0
    return sd


def state_nested():
    lin = torch.nn.Linear(3, 2)
    with torch.no_grad():
        lin.weight.copy_(torch.randn(2, 3, generator=g))
        lin.bias.copy_(torch.randn(2, generator=g))
    params = {"weight": lin.weight, "bias": lin.bias}  # nn.Parameter objects
    return {"state_dict": lin.state_dict(), "params": params, "epoch": 3, "meta": {"name": "tiny", "ok": True}}


def state_training():
    import numpy as np

    net = torch.nn.Sequential(torch.nn.utils.spectral_norm(torch.nn.Linear(3, 4)), torch.nn.BatchNorm1d(4))
    opt = torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.0, 0.999), eps=1e-6)
    for _ in range(2):
        opt.zero_grad()
        net(torch.randn(5, 3, generator=g)).square().sum().backward()
        opt.step()
    return {
        "state_dict": net.state_dict(),
        "optimizer": opt.state_dict(),
        "seed": 0,
        "run_name": "CIFAR10-ReACGAN-train-2022_01_26_10_50_05",
        "step": 100000,
        "big": 2 ** 40,
        "best_fid": np.float64(8.206475019455),
        "f32": np.float32(0.25),
        "i64": np.int64(-(2 ** 40)),
        "flag": np.bool_(True),
        "aa_p": 0.0,
        "best_fid_ckpt": None,
        "lecam_emas": {"G_loss": 7777, "decay": 0.9},
    }


def json_value(v):
    import numpy as np

    if isinstance(v, torch.Tensor):
        return describe(v)
    if isinstance(v, dict):
        out = {str(k): json_value(x) for k, x in v.items()}
        if getattr(v, "_metadata", None) is not None:
            out["__metadata__"] = json_value(dict(v._metadata))
        return out
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    if isinstance(v, np.generic):
        return {"numpy": str(v.dtype), "value": v.item()}
    return v


def describe(t):
    t = t.detach()
    dtype = str(t.dtype).replace("torch.", "")
    flat = t.reshape(-1)
    if t.dtype in (torch.float16, torch.bfloat16):
        values = flat.float().tolist()
    elif t.dtype == torch.int64:
        values = [str(v) for v in flat.tolist()]
    elif t.dtype == torch.bool:
        values = [1 if v else 0 for v in flat.tolist()]
    else:
        values = flat.tolist()
    return {"dtype": dtype, "shape": list(t.shape), "values": values}


expected = {}
cases = [
    ("zip_basic.pt", state_basic, dict()),
    ("zip_protocol4.pt", state_basic, dict(pickle_protocol=4)),
    ("legacy_basic.pt", state_basic, dict(_use_new_zipfile_serialization=False)),
    ("zip_views.pt", state_views, dict()),
    ("legacy_views.pt", state_views, dict(_use_new_zipfile_serialization=False)),
    ("zip_nested.pt", state_nested, dict()),
    ("legacy_nested.pt", state_nested, dict(_use_new_zipfile_serialization=False)),
    ("zip_training_state.pt", state_training, dict()),
]
for name, make, kwargs in cases:
    torch.manual_seed(0)
    g.manual_seed(1234)
    obj = make()
    torch.save(obj, os.path.join(out, name), **kwargs)
    if name == "zip_training_state.pt":
        expected[name] = {"tree": json_value(obj)}
    elif "state_dict" in obj:
        tensors = {f"state_dict.{k}": describe(v) for k, v in obj["state_dict"].items()}
        tensors.update({f"params.{k}": describe(v) for k, v in obj["params"].items()})
        expected[name] = {"tensors": tensors, "epoch": obj["epoch"], "meta": obj["meta"]}
    else:
        expected[name] = {"tensors": {k: describe(v) for k, v in obj.items()}}

expected["provenance"] = {
    "script": "packages/metrics/scripts/make_torch_fixtures.py",
    "torch": torch.__version__,
    "python": sys.version.split()[0],
}
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
print("wrote", ", ".join(name for name, _, _ in cases), "and expected.json to", os.path.normpath(out))
