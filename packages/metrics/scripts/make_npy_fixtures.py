"""Writes small .npy files with numpy.save for the .npy reader's tests (src/npy.test.ts) and the values they hold.

Run: .venv-reference/bin/python packages/metrics/scripts/make_npy_fixtures.py
Writes packages/metrics/src/__fixtures__/npy/{*.npy, expected.json} (a few hundred bytes each, committed).
Covered: float32/float64/int8/int32/int64/uint8/bool, 0-d, 1-d, 2-d, 3-d, an empty array, a non-contiguous
source (numpy.save writes C order unless the array is Fortran-contiguous), and the files the reader must refuse:
Fortran order, big-endian, float16, complex64, and a Python object array (never unpickled).
"""
import json
import os
import sys

import numpy as np

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "__fixtures__", "npy")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20211206)

good = {
    "f4_2d": rng.standard_normal((3, 4)).astype(np.float32),
    "f8_1d": rng.standard_normal(5),
    "f8_0d": np.float64(2.5) * np.ones(()),
    "i8_labels": np.array([0, 9, 3, 2 ** 40, -7], dtype=np.int64),
    "i4_3d": np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 12,
    "i1": np.array([-128, 0, 127], dtype=np.int8),
    "u1_2d": np.array([[0, 255], [7, 128]], dtype=np.uint8),
    "b1": np.array([True, False, True]),
    "f4_empty": np.zeros((0, 3), dtype=np.float32),
    "f4_strided": rng.standard_normal((4, 6)).astype(np.float32)[:, ::2],
}
bad = {
    "fortran": np.asfortranarray(rng.standard_normal((3, 2)).astype(np.float32)),
    "bigendian": np.arange(4, dtype=">f4"),
    "f2": np.arange(4, dtype=np.float16),
    "c8": np.arange(3, dtype=np.complex64),
    "object": np.array([{"a": 1}, None], dtype=object),
}
expected = {}
for name, array in good.items():
    np.save(os.path.join(out, f"{name}.npy"), array)
    flat = np.ascontiguousarray(array).reshape(-1)
    values = [str(v) for v in flat.tolist()] if array.dtype == np.int64 else [int(v) for v in flat.tolist()] if array.dtype == np.bool_ else flat.tolist()
    expected[name] = {"dtype": array.dtype.str[1:], "shape": list(array.shape), "values": values}
for name, array in bad.items():
    np.save(os.path.join(out, f"{name}.npy"), array, allow_pickle=True)
expected["provenance"] = {"script": "packages/metrics/scripts/make_npy_fixtures.py", "numpy": np.__version__, "python": sys.version.split()[0]}
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
print("wrote", len(good) + len(bad), ".npy files and expected.json to", os.path.normpath(out))
