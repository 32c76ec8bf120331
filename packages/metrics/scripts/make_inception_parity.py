"""PyTorch side of the inception-v3-fid parity check (see src/extractors/inception-v3-fid.parity.test.ts).

The real pytorch-fid weights cannot be downloaded on the project's machines, so the architecture is
proven with random weights instead: this script builds the FID InceptionV3 in PyTorch from its
published structure (torchvision Inception3 layer names and shapes, pytorch-fid's FIDInceptionA/C/E_1/E_2
pooling patches, 1008-way fc; written here from those facts), fills it with seeded random weights,
calibrates the BatchNorm running statistics on random images (so activations keep a sane scale
through all 94 layers), saves the state_dict with torch.save (zip format, like the real
.pth), and records pool features and logits for a few inputs, including inputs that need the
bilinear resize (F.interpolate, align_corners=False) up and down to 299.

Usage: python make_inception_parity.py OUT_DIR [--seed 0]
Writes OUT_DIR/{weights.pth, manifest.json, <case>.input.f32, <case>.pool.f32, <case>.logits.f32}
(raw little-endian float32, NHWC inputs; *.pool64/logits64 are the float64 evaluation, rounded to float32). Skips the work if OUT_DIR/manifest.json already matches this
script's hash and the seed. OUT_DIR must be git-ignored (weights are ~95 MB).
"""
import argparse
import hashlib
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicConv2d(nn.Module):
    def __init__(self, cin, cout, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001, momentum=None)  # momentum None: cumulative average

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def smooth_noise(n, low, size, generator):
    """Images in [-1, 1] (NCHW) made by bilinearly upsampling low x low uniform noise to size x size."""
    x = (torch.rand(n, 3, low, low, generator=generator) * 2 - 1).double()
    # Interpolated in float64 and rounded once, so the images do not depend on the CPU's float32 kernels.
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False).float()


def avg_pool_no_pad(x):
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class MixedA(nn.Module):
    def __init__(self, cin, pool_features):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, 1)
        self.branch5x5_1 = BasicConv2d(cin, 48, 1)
        self.branch5x5_2 = BasicConv2d(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch5x5_2(self.branch5x5_1(x))
        c = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        d = self.branch_pool(avg_pool_no_pad(x))
        return torch.cat([a, b, c, d], 1)


class MixedB(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, stride=2)

    def forward(self, x):
        a = self.branch3x3(x)
        b = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([a, b, F.max_pool2d(x, 3, stride=2)], 1)


class MixedC(nn.Module):
    def __init__(self, cin, c7):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 192, 1)
        self.branch7x7_1 = BasicConv2d(cin, c7, 1)
        self.branch7x7_2 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, 1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        c = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            c = layer(c)
        d = self.branch_pool(avg_pool_no_pad(x))
        return torch.cat([a, b, c, d], 1)


class MixedD(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, 1)
        self.branch3x3_2 = BasicConv2d(192, 320, 3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, 1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, 3, stride=2)

    def forward(self, x):
        a = self.branch3x3_2(self.branch3x3_1(x))
        b = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([a, b, F.max_pool2d(x, 3, stride=2)], 1)


class MixedE(nn.Module):
    def __init__(self, cin, pool):
        super().__init__()
        self.pool = pool
        self.branch1x1 = BasicConv2d(cin, 320, 1)
        self.branch3x3_1 = BasicConv2d(cin, 384, 1)
        self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, 1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        t = self.branch3x3_1(x)
        b = torch.cat([self.branch3x3_2a(t), self.branch3x3_2b(t)], 1)
        t = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        c = torch.cat([self.branch3x3dbl_3a(t), self.branch3x3dbl_3b(t)], 1)
        pooled = avg_pool_no_pad(x) if self.pool == "avg" else F.max_pool2d(x, 3, stride=1, padding=1)
        return torch.cat([a, b, c, self.branch_pool(pooled)], 1)


class FidInception(nn.Module):
    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
        self.Mixed_5b = MixedA(192, 32)
        self.Mixed_5c = MixedA(256, 64)
        self.Mixed_5d = MixedA(288, 64)
        self.Mixed_6a = MixedB(288)
        self.Mixed_6b = MixedC(768, 128)
        self.Mixed_6c = MixedC(768, 160)
        self.Mixed_6d = MixedC(768, 160)
        self.Mixed_6e = MixedC(768, 192)
        self.Mixed_7a = MixedD(768)
        self.Mixed_7b = MixedE(1280, "avg")
        self.Mixed_7c = MixedE(2048, "max")
        self.fc = nn.Linear(2048, 1008)

    def forward(self, x):
        """x: NCHW in [-1, 1]; resized to 299 like pytorch-fid / StudioGAN."""
        if x.shape[2] != 299 or x.shape[3] != 299:
            x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, 3, stride=2)
        for name in ("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
                     "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"):
            x = getattr(self, name)(x)
        pool = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return pool, self.fc(pool)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    script_hash = hashlib.sha256(open(__file__, "rb").read()).hexdigest()
    os.makedirs(args.out_dir, exist_ok=True)
    manifest_path = os.path.join(args.out_dir, "manifest.json")
    if os.path.exists(manifest_path):
        old = json.load(open(manifest_path))
        if old.get("script_sha256") == script_hash and old.get("seed") == args.seed and \
                os.path.exists(os.path.join(args.out_dir, "weights.pth")):
            print("up to date:", manifest_path)
            return
    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    net = FidInception()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.8, 1.2)
                m.bias.normal_(0.0, 0.1)
        nn.init.normal_(net.fc.weight, 0.0, 2048 ** -0.5)
        nn.init.normal_(net.fc.bias, 0.0, 0.1)
        # Calibrate BN running statistics (cumulative average over batches of random images, white
        # and smooth — upsampled low-resolution noise — so every test input keeps activations O(1)).
        # In float64, then rounded to float32: float32 calibration would make the saved weights (and so
        # every output) depend on this CPU's float32 kernels; float64 makes them the same on any x86-64
        # machine up to a float32 rounding tie (the regenerated float64 outputs are compared with the
        # committed ones at 1e-6, see the parity test).
        net.double().train()
        for low in (32, 40):
            net(smooth_noise(3, low, 299, None).double())
        net.float().eval()
    state = net.state_dict()
    weights_path = os.path.join(args.out_dir, "weights.pth")
    torch.save(state, weights_path)

    # (name, count, low-resolution noise size, image size): the network resizes up32 and down341 itself.
    cases = [("direct299", 2, 36, 299), ("up32", 2, 32, 32), ("down341", 1, 44, 341)]
    manifest = {"script_sha256": script_hash, "seed": args.seed, "torch": torch.__version__,
                "weights_sha256": hashlib.sha256(open(weights_path, "rb").read()).hexdigest(), "cases": []}
    gen = torch.Generator().manual_seed(args.seed + 1)
    net64 = FidInception().double().eval()
    net64.load_state_dict(state)
    with torch.no_grad():
        for name, n, low, size in cases:
            x = smooth_noise(n, low, size, gen).permute(0, 2, 3, 1).contiguous()  # NHWC in [-1, 1]
            pool, logits = net(x.permute(0, 3, 1, 2).contiguous())
            # The same network evaluated in float64: the float32 noise floor of both implementations.
            pool64, logits64 = net64(x.permute(0, 3, 1, 2).contiguous().double())
            for suffix, t in (("input", x), ("pool", pool), ("logits", logits), ("pool64", pool64), ("logits64", logits64)):
                t.contiguous().numpy().astype("<f4").tofile(os.path.join(args.out_dir, f"{name}.{suffix}.f32"))
            manifest["cases"].append({
                "name": name, "shape": [n, size, size, 3],
                "pool_head": pool[0, :8].tolist(), "logits_head": logits[0, :8].tolist(),
                "pool64_head": pool64[0, :8].tolist(), "logits64_head": logits64[0, :8].tolist(),
                "pool_mean": float(pool.mean()), "pool_max_abs": float(pool.abs().max()),
                "torch32_vs_64_pool": float((pool.double() - pool64).abs().max()),
                "torch32_vs_64_logits": float((logits.double() - logits64).abs().max()), "pool_std": float(pool.std()), "logits_std": float(logits.std()),
            })
    json.dump(manifest, open(manifest_path, "w"), indent=1)
    print("wrote", args.out_dir, "pool std", [c["pool_std"] for c in manifest["cases"]])


if __name__ == "__main__":
    sys.exit(main())
