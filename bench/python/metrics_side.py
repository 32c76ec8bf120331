"""PyTorch / SciPy side of the metric benchmarks (@reacgan/bench), as a line-protocol worker.

* inception-v3-fid feature extraction: the FID InceptionV3 as built by the metrics package's parity
  script (packages/metrics/scripts/make_inception_parity.py, class FidInception, imported by path),
  loaded with the same seeded random weights file the TypeScript side reads, eval mode, no grad,
  NCHW float32 input in [-1, 1] at 299×299 (the bilinear resize is part of the network).
* FID math at d = 2048: pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm of Σ1·Σ2, float64),
  on the float64 matrices the TypeScript side wrote to a file.

Protocol: one JSON object per line on stdin, one JSON reply per line.
  {"cmd": "inception-load", "weights": path}            -> {"params": n}
  {"cmd": "inception", "n": images, "size": s, "batch": b} -> {"ms": wall ms, "images": n}
  {"cmd": "fid-make", "file": path, "d": d}             -> writes μ1, μ2, Σ1, Σ2 (float64) for the FID timing
  {"cmd": "fid", "file": path, "d": d}                  -> {"ms": wall ms, "fid": value}
  {"cmd": "mem"} / {"cmd": "quit"}
"""

import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import scipy.linalg
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "packages", "metrics", "scripts"))


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch-fid's calculate_frechet_distance (v0.3), float64."""
    diff = mu1 - mu2
    covmean, _ = scipy.linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    net = None
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        cmd = msg.get("cmd")
        if cmd == "inception-load":
            from make_inception_parity import FidInception  # the metrics package's PyTorch transcription

            net = FidInception().eval()
            net.load_state_dict(torch.load(msg["weights"], map_location="cpu", weights_only=True))
            reply = {"params": int(sum(p.numel() for p in net.parameters()))}
        elif cmd == "inception":
            n, size, batch = int(msg["n"]), int(msg["size"]), int(msg["batch"])
            g = torch.Generator().manual_seed(7)
            images = torch.rand((n, 3, size, size), generator=g) * 2 - 1
            t0 = time.perf_counter()
            with torch.no_grad():
                feats = [net(images[i:i + batch])[0] for i in range(0, n, batch)]
            ms = (time.perf_counter() - t0) * 1000.0
            reply = {"ms": ms, "images": n, "featureMean": float(torch.cat(feats).mean())}
        elif cmd == "fid-make":
            # Σ = A Aᵀ/(k − 1), A [d, d + 512] uniform: full rank, like the Inception statistics of a few
            # thousand images; the second set scaled 1.2 and its mean shifted.
            d = int(msg["d"])
            rng = np.random.default_rng(int(msg.get("seed", 0)))
            k = d + 512
            out = []
            for scale in (1.0, 1.2):
                a = (rng.random((d, k)) - 0.5) * scale
                out.append(a @ a.T / (k - 1))
            mu1 = rng.random(d)
            mu2 = rng.random(d) + 0.01
            np.concatenate([mu1, mu2, out[0].ravel(), out[1].ravel()]).astype("<f8").tofile(msg["file"])
            reply = {"bytes": int(8 * (2 * d + 2 * d * d))}
        elif cmd == "fid":
            d = int(msg["d"])
            raw = np.fromfile(msg["file"], dtype="<f8")
            mu1, mu2 = raw[:d], raw[d:2 * d]
            s1 = raw[2 * d:2 * d + d * d].reshape(d, d)
            s2 = raw[2 * d + d * d:].reshape(d, d)
            t0 = time.perf_counter()
            value = frechet_distance(mu1, s1, mu2, s2)
            reply = {"ms": (time.perf_counter() - t0) * 1000.0, "fid": value, "scipy": scipy.__version__, "numpy": np.__version__}
        elif cmd == "mem":
            reply = {"peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}
        elif cmd == "quit":
            break
        else:
            reply = {"error": f"unknown command {cmd!r}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
