"""The PyTorch side of `pnpm bench`: one FSLSD swap through the reference networks, timed stage by
stage, with the FLOPs of every stage counted on the way.

    python3 -m fslsd_reference.bench --samples DIR [--seed 1 --width 1 --runs 5 --threads 2]
                                     [--device cpu|cuda] [--half]

Prints one JSON object. The networks are rebuilt from the same seed and width as the set the
exporter writes, and the inputs are the parity inputs (the sample crops, the test landmarks, the
ellipse mask), so the Node side can run the very same swap.

On CUDA every stage ends with torch.cuda.synchronize() so its time is the GPU's, and --half runs
the swap under torch.autocast(float16) (the weights stay float32, as the reference keeps them).
The FLOP count and the GEMM peak are taken on the CPU either way (the counter wraps functional
calls; it does not care where they run).

The fast configuration is the caller's business: Debian's torch takes its BLAS from libblas.so.3,
so `LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread` (or the alternatives system)
decides between the reference BLAS and OpenBLAS. The JSON names the library that was loaded.
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
from torch.nn import functional as F

from .decoder import blend
from .export import build_reference
from .fixtures import SOURCE, TARGET, inner_mask, load_rgb, test_landmarks
from .fuse import SPLITS, fuse
from .preprocess import image_to_tensor, landmark_maps, psp_input


class FlopCounter:
    """Counts multiply-adds as 2 FLOPs in conv2d, conv_transpose2d, linear and matmul while active.

    torch 1.13 (Debian's) has no torch.utils.flop_counter; the reference calls these functions
    through the torch.nn.functional module at run time, so swapping the attributes sees every call.
    """

    def __init__(self):
        self.flops = 0
        self._saved = {}

    def __enter__(self):
        counter = self

        def conv2d(x, weight, *args, **kwargs):
            out = counter._saved["conv2d"](x, weight, *args, **kwargs)
            counter.flops += 2 * out.numel() * weight.shape[1] * weight.shape[2] * weight.shape[3]
            return out

        def conv_transpose2d(x, weight, *args, **kwargs):
            out = counter._saved["conv_transpose2d"](x, weight, *args, **kwargs)
            # weight [Cin, Cout / groups, k, k]: every input value feeds (Cout / groups) * k * k outputs.
            counter.flops += 2 * x.numel() * weight.shape[1] * weight.shape[2] * weight.shape[3]
            return out

        def linear(x, weight, *args, **kwargs):
            out = counter._saved["linear"](x, weight, *args, **kwargs)
            counter.flops += 2 * out.numel() * weight.shape[1]
            return out

        def matmul(a, b, *args, **kwargs):
            out = counter._saved["matmul"](a, b, *args, **kwargs)
            counter.flops += 2 * out.numel() * a.shape[-1]
            return out

        for name, replacement in (("conv2d", conv2d), ("conv_transpose2d", conv_transpose2d), ("linear", linear)):
            self._saved[name] = getattr(F, name)
            setattr(F, name, replacement)
        self._saved["matmul"] = torch.matmul
        torch.matmul = matmul
        return self

    def __exit__(self, *exc):
        for name in ("conv2d", "conv_transpose2d", "linear"):
            setattr(F, name, self._saved[name])
        torch.matmul = self._saved["matmul"]
        return False


def loaded_blas() -> str:
    """The BLAS library this process mapped (from /proc/self/maps), or 'unknown'."""
    try:
        with open("/proc/self/maps") as handle:
            paths = {line.split()[-1] for line in handle if "blas" in line.lower() and "/" in line}
    except OSError:
        return "unknown"
    return ", ".join(sorted(paths)) or "unknown"


def gemm_peak(runs: int, size: int = 2048) -> float:
    a = torch.randn(size, size)
    b = torch.randn(size, size)
    torch.mm(a, b)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - start)
    return 2 * size ** 3 / statistics.median(times) / 1e9


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m fslsd_reference.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", required=True, help=f"folder holding {SOURCE} and {TARGET} (1024^2 aligned crops)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5, help="timed swaps after one warm-up (default 5)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="where the networks run (default cpu)")
    parser.add_argument("--half", action="store_true", help="autocast to float16 (CUDA only)")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no CUDA device")
    if args.half and args.device != "cuda":
        parser.error("--half needs --device cuda")
    device = torch.device(args.device)
    torch.set_grad_enabled(False)
    torch.set_num_threads(args.threads)
    networks = build_reference(args.seed, args.width, "float32")
    for _, module in networks.items():
        module.to(device)
    source_rgb = load_rgb(os.path.join(args.samples, SOURCE))
    target_rgb = load_rgb(os.path.join(args.samples, TARGET))
    mask = torch.from_numpy(inner_mask().astype(np.float32) / 255.0)[None, None].to(device)
    source_points, target_points = test_landmarks(seed=7)

    def encode(rgb):
        return networks.psp_encoder(psp_input(rgb).to(device))

    def direction_of():
        return networks.landmark_encoder(landmark_maps(np.asarray(source_points), np.asarray(target_points)).to(device))

    def synthesize(latent):
        side_output, source_features = networks.generator(latent)
        target_features = networks.target_encoder(image_to_tensor(target_rgb).to(device))
        return networks.decoder.forward_blended(blend(source_features, target_features, mask)).clamp(-1, 1), side_output

    stages = ["encode-latent", "landmark-direction", "edit-latent", "synthesize"]
    flops = {}

    def one_swap(times=None, count=False):
        def timed(name, work):
            counter = FlopCounter() if count else None
            start = time.perf_counter()
            with torch.autocast("cuda", dtype=torch.float16, enabled=args.half):
                if counter:
                    with counter:
                        value = work()
                    flops[name] = flops.get(name, 0) + counter.flops
                else:
                    value = work()
            if device.type == "cuda":
                torch.cuda.synchronize()
            if times is not None:
                times[name] = times.get(name, 0.0) + (time.perf_counter() - start) * 1000
            return value

        start = time.perf_counter()
        source_wplus = timed("encode-latent", lambda: encode(source_rgb))
        target_wplus = timed("encode-latent", lambda: encode(target_rgb))
        direction = timed("landmark-direction", direction_of)
        latent = timed("edit-latent", lambda: networks.latent_editor(fuse(source_wplus, target_wplus, direction, SPLITS["official"])))
        image, _ = timed("synthesize", lambda: synthesize(latent))
        if times is not None:
            times["swap"] = (time.perf_counter() - start) * 1000
        return image

    one_swap(count=True)  # warm-up, and the FLOP count
    per_run = []
    for _ in range(args.runs):
        times = {}
        one_swap(times)
        per_run.append(times)
    median = {name: statistics.median(run[name] for run in per_run) for name in stages + ["swap"]}
    # The synthesis stage split by network, for the per-network table.
    with FlopCounter() as generator_flops:
        latent = torch.zeros(1, 18, 512, device=device)
        networks.generator(latent)
    with FlopCounter() as target_flops:
        networks.target_encoder(image_to_tensor(target_rgb).to(device))
    report = {
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "half": args.half,
        "blas": loaded_blas(),
        "threads": torch.get_num_threads(),
        "runs": args.runs,
        "gemmGflops": gemm_peak(max(args.runs, 5)),
        "milliseconds": median,
        "flops": {**flops, "generator": generator_flops.flops, "target-encoder": target_flops.flops},
        "flopsPerSwap": sum(flops.values()),
    }
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
