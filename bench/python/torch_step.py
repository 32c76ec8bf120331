"""PyTorch side of the ReACGAN benchmark (@reacgan/bench): one training step of the identical
architecture, run as a long-lived worker so the TypeScript side and this side can be timed
alternately (A/B/A/B) in one invocation.

The architectures are not written here: they are imported from the models package's PyTorch
transcription of StudioGAN v0.3.0 (packages/models/scripts/studiogan_reference.py), the same file
that pins @reacgan/models' parameter counts and forward parity. This file adds the training step of
StudioGAN v0.3.0's `WORKER.train_discriminator` / `train_generator` (src/worker.py), written from
the published description (docs: ../shared/docs/reacgan-reference.md §1.4):

  D update: x_fake = G(z, y_f) in train mode with G's BN running statistics untracked and no graph
            into G; L_D = hinge_D(D(x_real), D(x_fake)) + λ·D2DCE(D(x_real).embed, .proxy, y_real)
            (StudioGAN variant: detached row-max shift on the negatives), Adam step on D.
  G update: L_G = hinge_G(D(G(z, y))) + λ·D2DCE(D(G(z, y)).embed, .proxy, y), D frozen (requires_grad
            False) but in train mode (SN power iterations run), Adam step on G, then the EMA update of
            G_ema (parameters and float buffers lerped, num_batches_tracked copied).

Protocol: one JSON object per line on stdin, one JSON reply per line on stdout.
  {"cmd": "info"}              -> {"params": {"G": n, "D": n}, "torch": version, "threads": k, ...}
  {"cmd": "steps", "n": k}     -> {"ms": [k wall times], "cpuMs": [k process CPU times]}   (each a D update + a G update + EMA)
  {"cmd": "check", "n": k}     -> {"losses": [...]}              (finite-loss sanity check)
  {"cmd": "mem"}               -> {"peakRssMiB": x, "rssMiB": y}
  {"cmd": "profile", "n": k, "shapes": b} -> {"wallMsPerStep", "opMsPerStep", "table": [{"name", "count", "ms"}]}
  {"cmd": "quit"}
Run: .venv-reference/bin/python bench/python/torch_step.py --preset deep_conv/reacgan --batch-size 64 --threads 2
     [--device cuda]  (a GPU: cuDNN autotuning on, as StudioGAN sets it; each step ends with the loss read back,
                       which waits for the GPU, so the wall time is the step's)
"""

import argparse
import copy
import json
import os
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "packages", "models", "scripts"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import studiogan_reference as ref  # noqa: E402  (the models package's PyTorch transcription)

# ----------------------------------------------------------------------------------------- presets
# Must match bench/src/presets.ts (the TypeScript side checks the parameter counts agree).
CIFAR = {"imgSize": 32, "imgChannels": 3, "numClasses": 10}
# StudioGAN CIFAR10/ReACGAN.yaml loss and optimiser settings (lr 2.8284271e-4, betas (0.5, 0.999), eps 1e-6;
# hinge, λ 0.5, τ 0.5, m_p 0.98; EMA decay 0.9999). EMA runs from step 0 in the benchmark (a long run spends
# almost all steps past g_ema_start).
OPTIM = {"lr": 2.8284271e-4, "betas": (0.5, 0.999), "eps": 1e-6}
LOSS = {"lambda": 0.5, "tau": 0.5, "m_p": 0.98}
EMA_DECAY = 0.9999

PRESETS = {
    # DCGAN backbone with ReACGAN's head (the README grid's deep_conv/D2DCE entry: cBN, SN on G and D,
    # StudioGAN's fixed widths, z 128, embed 512).
    "deep_conv/reacgan": (ref.grid_config("deep_conv", "D2DCE"), CIFAR),
    # StudioGAN CIFAR10/ReACGAN.yaml: big_resnet, ch 96, z 80, shared 128, SN, attention G2/D1, embed 512.
    "cifar10/reacgan": (ref.REACGAN_CIFAR10, CIFAR),
}


# ----------------------------------------------------------------------------------------- losses
def d_hinge(real, fake):
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def g_hinge(fake):
    return -fake.mean()


def d2dce_studiogan(embed, proxy, labels, tau, m_p):
    """StudioGAN's Data2DataCrossEntropyLoss (v0.3.0), float32, vectorised mask; m_n = 1 − m_p.

    loss_i = a_i + log(exp(−a_i) + Σ_{j≠i, y_j≠y_i} exp(ReLU(A_ij) − M_i)),
    A_ij = (cos(f_i, f_j) − m_n)/τ, M_i = max_{j≠i} A_ij (detached), a_i = ReLU((m_p − cos(f_i, v_i))/τ).
    """
    n = embed.shape[0]
    m_n = 1.0 - m_p
    f = F.normalize(embed, dim=1, eps=1e-8)
    v = F.normalize(proxy, dim=1, eps=1e-8)
    off = ~torch.eye(n, dtype=torch.bool)
    a = ((f @ f.t() - m_n) / tau)[off].view(n, n - 1)
    row_max = a.max(dim=1, keepdim=True).values.detach()
    neg_mask = (labels.view(-1, 1) != labels.view(1, -1))[off].view(n, n - 1).to(a.dtype)
    negatives = (neg_mask * torch.exp(F.relu(a) - row_max)).sum(dim=1)
    pos = F.relu((m_p - (f * v).sum(dim=1)) / tau)
    return (pos + torch.log(torch.exp(-pos) + negatives)).mean()


# ----------------------------------------------------------------------------------------- step
def set_bn_tracking(module, track):
    """StudioGAN misc.untrack_bn_statistics / track_bn_statistics."""
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.track_running_stats = track


def set_requires_grad(module, flag):
    """StudioGAN misc.toggle_grad."""
    for p in module.parameters():
        p.requires_grad_(flag)


class Bench:
    def __init__(self, preset, batch_size, seed=0, device="cpu"):
        cfg, data = PRESETS[preset]
        self.cfg, self.data = cfg, data
        self.device = torch.device(device)
        torch.manual_seed(seed)
        self.G, self.D = ref.build(cfg, data)
        self.G.to(self.device)
        self.D.to(self.device)
        self.G_ema = copy.deepcopy(self.G)
        self.G.train()
        self.D.train()
        self.G_ema.eval()
        self.optG = torch.optim.Adam(self.G.parameters(), lr=OPTIM["lr"], betas=OPTIM["betas"], eps=OPTIM["eps"])
        self.optD = torch.optim.Adam(self.D.parameters(), lr=OPTIM["lr"], betas=OPTIM["betas"], eps=OPTIM["eps"])
        self.n = batch_size
        self.z_dim = cfg["zDim"]
        self.num_classes = data["numClasses"]
        # Synthetic real batches (data loading is not part of the step on either side).
        g = torch.Generator().manual_seed(seed + 1)
        shape = (batch_size, data["imgChannels"], data["imgSize"], data["imgSize"])
        self.reals = [
            ((torch.rand(shape, generator=g) * 2 - 1).to(self.device), torch.randint(0, self.num_classes, (batch_size,), generator=g).to(self.device))
            for _ in range(4)
        ]
        self.k = 0
        self.ema_pairs = list(zip(list(self.G_ema.parameters()) + list(self.G_ema.buffers()), list(self.G.parameters()) + list(self.G.buffers())))

    def sample(self):
        return torch.randn(self.n, self.z_dim, device=self.device), torch.randint(0, self.num_classes, (self.n,), device=self.device)

    def step(self):
        x_real, y_real = self.reals[self.k % len(self.reals)]
        self.k += 1
        # ---- D update
        set_requires_grad(self.G, False)
        set_requires_grad(self.D, True)
        set_bn_tracking(self.G, False)
        z, y_fake = self.sample()
        x_fake = self.G(z, y_fake)
        real = self.D(x_real, y_real)
        fake = self.D(x_fake, y_fake)
        d_loss = d_hinge(real["advOutput"], fake["advOutput"]) + LOSS["lambda"] * d2dce_studiogan(
            real["embed"], real["proxy"], y_real, LOSS["tau"], LOSS["m_p"])
        self.optD.zero_grad(set_to_none=True)
        d_loss.backward()
        self.optD.step()
        set_bn_tracking(self.G, True)
        # ---- G update
        set_requires_grad(self.G, True)
        set_requires_grad(self.D, False)
        z, y_fake = self.sample()
        fake = self.D(self.G(z, y_fake), y_fake)
        g_loss = g_hinge(fake["advOutput"]) + LOSS["lambda"] * d2dce_studiogan(
            fake["embed"], fake["proxy"], y_fake, LOSS["tau"], LOSS["m_p"])
        self.optG.zero_grad(set_to_none=True)
        g_loss.backward()
        self.optG.step()
        # ---- EMA
        with torch.no_grad():
            for e, s in self.ema_pairs:
                if e.dtype.is_floating_point:
                    e.lerp_(s, 1.0 - EMA_DECAY)
                else:
                    e.copy_(s)
        return float(d_loss.detach()), float(g_loss.detach())


def phase_times(bench, reps):
    """Wall ms per phase (diagnostic; same phases as bench/src/phases.ts)."""
    names = ["G forward (for D)", "D update grads", "Adam D", "G update grads", "Adam G", "EMA", "whole step"]
    out = {k: [] for k in names}

    def t(name, f):
        t0 = time.perf_counter()
        r = f()
        out[name].append((time.perf_counter() - t0) * 1000.0)
        return r

    for _ in range(reps):
        w0 = time.perf_counter()
        x_real, y_real = bench.reals[bench.k % len(bench.reals)]
        bench.k += 1
        set_requires_grad(bench.G, False)
        set_requires_grad(bench.D, True)
        set_bn_tracking(bench.G, False)
        z, y_fake = bench.sample()
        x_fake = t("G forward (for D)", lambda: bench.G(z, y_fake))

        def d_grads():
            real = bench.D(x_real, y_real)
            fake = bench.D(x_fake, y_fake)
            loss = d_hinge(real["advOutput"], fake["advOutput"]) + LOSS["lambda"] * d2dce_studiogan(
                real["embed"], real["proxy"], y_real, LOSS["tau"], LOSS["m_p"])
            bench.optD.zero_grad(set_to_none=True)
            loss.backward()
        t("D update grads", d_grads)
        t("Adam D", bench.optD.step)
        set_bn_tracking(bench.G, True)
        set_requires_grad(bench.G, True)
        set_requires_grad(bench.D, False)

        def g_grads():
            z2, y2 = bench.sample()
            fake = bench.D(bench.G(z2, y2), y2)
            loss = g_hinge(fake["advOutput"]) + LOSS["lambda"] * d2dce_studiogan(fake["embed"], fake["proxy"], y2, LOSS["tau"], LOSS["m_p"])
            bench.optG.zero_grad(set_to_none=True)
            loss.backward()
        t("G update grads", g_grads)
        t("Adam G", bench.optG.step)

        def ema():
            with torch.no_grad():
                for e, s in bench.ema_pairs:
                    if e.dtype.is_floating_point:
                        e.lerp_(s, 1.0 - EMA_DECAY)
                    else:
                        e.copy_(s)
        t("EMA", ema)
        out["whole step"].append((time.perf_counter() - w0) * 1000.0)
    return out


def profile_ops(bench, n, shapes):
    """Per-op self CPU time of n steps (torch.profiler), ms per step, largest first (diagnostic)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], record_shapes=shapes) as prof:
        w0 = time.perf_counter()
        for _ in range(n):
            bench.step()
        wall = (time.perf_counter() - w0) * 1000.0 / n
    table = []
    for e in prof.key_averages(group_by_input_shape=shapes):
        if e.self_cpu_time_total <= 0:
            continue
        name = f"{e.key} {e.input_shapes}" if shapes else e.key
        table.append({"name": name, "count": e.count / n, "ms": e.self_cpu_time_total / 1000.0 / n})
    table.sort(key=lambda r: -r["ms"])
    return {"wallMsPerStep": wall, "opMsPerStep": sum(r["ms"] for r in table), "table": table[:80]}


def count(module):
    return int(sum(p.numel() for p in module.parameters()))


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", choices=sorted(PRESETS))
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="torch device: cpu (default) or cuda")
    parser.add_argument("--counts", action="store_true",
                        help="print the G and D parameter counts as JSON and exit (every preset's, by name, without --preset)")
    args = parser.parse_args()
    if args.counts:
        def counts(name):
            cfg, data = PRESETS[name]
            with torch.device("meta"):
                G, D = ref.build(cfg, data)
            return {"G": count(G), "D": count(D)}
        print(json.dumps(counts(args.preset) if args.preset else {name: counts(name) for name in sorted(PRESETS)}))
        return
    if not args.preset:
        parser.error("--preset is required (except with --counts)")
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(args.threads)
    if args.device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True
    bench = Bench(args.preset, args.batch_size, device=args.device)
    out = sys.stdout
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        cmd = msg.get("cmd")
        if cmd == "info":
            reply = {
                "params": {"G": count(bench.G), "D": count(bench.D)},
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "interopThreads": torch.get_num_interop_threads(),
                "mkldnn": bool(torch.backends.mkldnn.is_available()),
                "device": str(bench.device),
                "deviceName": torch.cuda.get_device_name(bench.device) if bench.device.type == "cuda" else None,
                "cuda": torch.version.cuda,
                "cudnn": torch.backends.cudnn.version() if bench.device.type == "cuda" else None,
                "config": bench.cfg,
            }
        elif cmd == "steps":
            times, cpu = [], []
            for _ in range(int(msg.get("n", 1))):
                c0 = time.process_time()
                t0 = time.perf_counter()
                bench.step()
                times.append((time.perf_counter() - t0) * 1000.0)
                cpu.append((time.process_time() - c0) * 1000.0)
            reply = {"ms": times, "cpuMs": cpu}
        elif cmd == "check":
            reply = {"losses": [bench.step() for _ in range(int(msg.get("n", 1)))]}
        elif cmd == "phases":
            reply = phase_times(bench, int(msg.get("n", 3)))
        elif cmd == "profile":
            reply = profile_ops(bench, int(msg.get("n", 1)), bool(msg.get("shapes", False)))
        elif cmd == "mem":
            reply = {"peakRssMiB": peak_rss_mib(), "rssMiB": current_rss_mib()}
        elif cmd == "quit":
            break
        else:
            reply = {"error": f"unknown command {cmd!r}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
