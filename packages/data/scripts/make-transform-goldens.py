"""Golden values for @reacgan/data transforms (src/__fixtures__/transform-goldens.json).

Provenance: Pillow's Image.resize (what torchvision.transforms.Resize and StudioGAN's pre-resizer call
on uint8 images) and torchvision's ToTensor + Normalize(0.5, 0.5) arithmetic done in float32 with
NumPy (IEEE float32, identical to torch's CPU float32 ops).

Run:  python3 -m venv /tmp/pil && /tmp/pil/bin/pip install pillow numpy
      /tmp/pil/bin/python packages/data/scripts/make-transform-goldens.py
"""
import base64
import json
import os

import numpy as np
import PIL
from PIL import Image

FILTERS = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "lanczos": Image.LANCZOS}
CASES = [  # (H, W, C) -> (outH, outW)
    ((37, 23, 3), (16, 16)),
    ((37, 23, 3), (50, 41)),
    ((28, 28, 1), (32, 32)),
    ((28, 28, 1), (13, 13)),
    ((10, 64, 3), (10, 20)),
    ((64, 10, 3), (20, 10)),
]


def pattern(h, w, c):
    """Same formula as test-image.ts: mixes a smooth ramp with high-frequency content."""
    i = np.arange(h * w * c, dtype=np.int64)
    return ((i * 7919 + (i // c) * 31 + (i * i) % 251) % 256).astype(np.uint8).reshape(h, w, c)


def main():
    out = {
        "provenance": f"packages/data/scripts/make-transform-goldens.py with Pillow {PIL.__version__}, NumPy {np.__version__}",
        "resize": [],
    }
    for (h, w, c), (oh, ow) in CASES:
        img = pattern(h, w, c)
        pil = Image.fromarray(img[:, :, 0] if c == 1 else img, mode="L" if c == 1 else "RGB")
        for name, flt in FILTERS.items():
            res = np.asarray(pil.resize((ow, oh), resample=flt), dtype=np.uint8).reshape(oh, ow, c)
            out["resize"].append({"input": [h, w, c], "output": [oh, ow, c], "filter": name, "data": base64.b64encode(res.tobytes()).decode()})
    v = np.arange(256, dtype=np.float32)
    norm = (v / np.float32(255) - np.float32(0.5)) / np.float32(0.5)
    out["normalize"] = [float(x) for x in norm.astype(np.float32)]
    path = os.path.join(os.path.dirname(__file__), "..", "src", "__fixtures__", "transform-goldens.json")
    with open(path, "w") as f:
        json.dump(out, f)
        f.write("\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
