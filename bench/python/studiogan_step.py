"""PyTorch side of the ReACGAN benchmark (@reacgan/bench): StudioGAN's own training step, from a checkout of
StudioGAN at a pinned commit, as a long-lived worker so that the TypeScript side and this side are timed
alternately in one invocation.

Nothing of StudioGAN is written or copied here. The checkout is imported the way the models package's
fixture script does it (packages/models/scripts/studiogan_fixtures.py: `load_studiogan` with stand-ins for
packages the reference environment lacks, `make_config` from StudioGAN's own YAML plus overrides,
`build_models` through `models.model.load_generator_discriminator`, `make_worker`); one step is StudioGAN's
`WORKER.train_discriminator(current_step)` then `WORKER.train_generator(current_step)` (which ends with its EMA
update), fed by synthetic real batches already in memory (data loading is not part of either side's step).

Protocol: one JSON object per line on stdin, one JSON reply per line on stdout.
  {"cmd": "info"}             -> {"params": {"G", "D"}, "torch", "studiogan": {"commit", "checkout"}, "config", ...}
  {"cmd": "steps", "n": k}    -> {"ms": [...], "cpuMs": [...], "minorFaults": [...], "sysMs": [...]}
  {"cmd": "calibrate"}        -> {"gflops": x}   (float32 matmul throughput on this process's threads)
  {"cmd": "mem"}              -> {"peakRssMiB": x, "rssMiB": y}
  {"cmd": "profile", "n": k, "shapes": b} -> {"wallMsPerStep", "opMsPerStep", "opsPerStep", "table": [...]}
  {"cmd": "quit"}
`--counts '[{"name", "config", "overrides"}, ...]'` prints the parameter counts of G and D per entry instead.
Run (from the repository root; the checkout from bench/scripts/fetch-studiogan.sh):
  .venv-reference/bin/python bench/python/studiogan_step.py --checkout bench/.cache/studiogan/6650d2f \
      --config CIFAR10/ReACGAN.yaml --overrides '{"OPTIMIZATION": {"batch_size": 64}}' --threads 2
"""

import argparse
import json
import os
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "packages", "models", "scripts"))


def rss_mib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def count(module):
    return int(sum(p.numel() for p in module.parameters()))


class StudioganStep:
    """StudioGAN's G, D, G_ema, optimizers and WORKER for one configuration, stepped on synthetic baskets."""

    def __init__(self, checkout, config, overrides, seed=0):
        import torch

        import studiogan_fixtures as sg

        self.torch = torch
        self.ns = sg.load_studiogan(checkout)
        self.cfgs, self.yaml = sg.make_config(self.ns, config, overrides)
        G, D, G_ema, ema = sg.build_models(self.ns, self.cfgs, seed)
        self.G, self.D = G, D
        self.cfgs.define_optimizer(G, D)
        o = self.cfgs.OPTIMIZATION
        n = o.batch_size * o.acml_steps * o.d_updates_per_step
        data = self.cfgs.DATA
        gen = torch.Generator().manual_seed(seed + 1)
        shape = (n, data.img_channels, data.img_size, data.img_size)
        # Four baskets cycled by StudioGAN's own sample_data_basket (it re-iterates the "loader" at its end).
        baskets = [(torch.rand(shape, generator=gen) * 2 - 1, torch.randint(0, data.num_classes, (n,), generator=gen)) for _ in range(4)]
        self.worker = sg.make_worker(self.ns, self.cfgs, G, D, G_ema, ema, baskets[0])
        self.worker.train_dataloader = baskets
        self.worker.prepare_train_iter(epoch_counter=0)
        self.current_step = 0

    def step(self):
        self.worker.train_discriminator(current_step=self.current_step)
        self.worker.train_generator(current_step=self.current_step)
        self.current_step += 1


def parameter_counts(checkout, presets):
    """G and D parameter counts of each {name, config, overrides}, built by StudioGAN's own factory."""
    import contextlib

    import studiogan_fixtures as sg

    with contextlib.redirect_stdout(sys.stderr):
        ns = sg.load_studiogan(checkout)
        out = {}
        for p in presets:
            cfgs, _ = sg.make_config(ns, p["config"], p["overrides"])
            G, D, _, _ = sg.build_models(ns, cfgs, 0)
            out[p["name"]] = {"G": count(G), "D": count(D)}
    return out


def calibrate(torch, size=512, reps=8):
    """GFLOP/s of a float32 size×size matmul on this process's threads (median of `reps`)."""
    a = torch.randn(size, size)
    b = torch.randn(size, size)
    torch.mm(a, b)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - t0)
    times.sort()
    return 2.0 * size ** 3 / times[len(times) // 2] / 1e9


def profile_ops(torch, bench, n, shapes):
    """Per-op self CPU time and calls of n steps (torch.profiler), per step, largest first."""
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
    return {"wallMsPerStep": wall, "opMsPerStep": sum(r["ms"] for r in table),
            "opsPerStep": sum(r["count"] for r in table if r["name"].startswith("aten::")), "table": table[:120]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkout", required=True, help="StudioGAN checkout (repository root, with src/)")
    parser.add_argument("--config", help="YAML under src/configs, e.g. CIFAR10/ReACGAN.yaml")
    parser.add_argument("--overrides", default="{}", help="JSON {SECTION: {key: value}} merged into the YAML")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--counts", help="JSON [{name, config, overrides}]: print {name: {G, D}} (parameter counts) and exit")
    args = parser.parse_args()
    if args.counts:
        print(json.dumps(parameter_counts(args.checkout, json.loads(args.counts))))
        return
    if not args.config:
        parser.error("--config is required (unless --counts)")

    # Replies go to the real stdout; anything StudioGAN prints (e.g. its EMA's "Initialize the copied
    # generator's parameters ...") goes to stderr instead of into the protocol.
    out = sys.stdout
    sys.stdout = sys.stderr

    import torch

    # NNPACK does not support this CPU: PyTorch would try it for every convolution and print
    # "Could not initialize NNPACK! Reason: Unsupported hardware." each time; oneDNN runs them either way.
    torch.backends.nnpack.set_flags(False)
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(args.threads)
    commit_file = os.path.join(args.checkout, "STUDIOGAN_COMMIT")
    commit = open(commit_file).read().strip() if os.path.isfile(commit_file) else None
    bench = StudioganStep(args.checkout, args.config, json.loads(args.overrides), args.seed)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        cmd = msg.get("cmd")
        if cmd == "info":
            m = bench.cfgs.MODEL
            reply = {
                "params": {"G": count(bench.G), "D": count(bench.D)},
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "interopThreads": torch.get_num_interop_threads(),
                "studiogan": {"commit": commit, "checkout": os.path.abspath(args.checkout), "config": args.config,
                              "overrides": json.loads(args.overrides), "stubbedModules": bench.ns.stubs},
                "model": {"backbone": m.backbone, "gCondMtd": m.g_cond_mtd, "dCondMtd": m.d_cond_mtd,
                          "applyGSn": m.apply_g_sn, "applyDSn": m.apply_d_sn, "applyGEma": m.apply_g_ema},
                "batchSize": bench.cfgs.OPTIMIZATION.batch_size,
                "dUpdatesPerStep": bench.cfgs.OPTIMIZATION.d_updates_per_step,
                "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GLIBC_TUNABLES", "LD_PRELOAD")},
            }
        elif cmd == "steps":
            times, cpu, faults, sys_ms = [], [], [], []
            for _ in range(int(msg.get("n", 1))):
                r0 = resource.getrusage(resource.RUSAGE_SELF)
                c0 = time.process_time()
                t0 = time.perf_counter()
                bench.step()
                times.append((time.perf_counter() - t0) * 1000.0)
                cpu.append((time.process_time() - c0) * 1000.0)
                r1 = resource.getrusage(resource.RUSAGE_SELF)
                faults.append(r1.ru_minflt - r0.ru_minflt)
                sys_ms.append((r1.ru_stime - r0.ru_stime) * 1000.0)
            reply = {"ms": times, "cpuMs": cpu, "minorFaults": faults, "sysMs": sys_ms}
        elif cmd == "calibrate":
            reply = {"gflops": calibrate(torch)}
        elif cmd == "profile":
            reply = profile_ops(torch, bench, int(msg.get("n", 1)), bool(msg.get("shapes", False)))
        elif cmd == "mem":
            reply = {"peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, "rssMiB": rss_mib("VmRSS")}
        elif cmd == "quit":
            break
        else:
            reply = {"error": f"unknown command {cmd!r}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
