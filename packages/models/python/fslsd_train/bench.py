"""Training speed and memory on synthetic data: seconds per iteration, peak memory, and the days
500K iterations would take (the paper: about two days on 4 V100).

    python3 -m fslsd_train.bench [--width 1] [--batch 8] [--steps 5] [--amp] [--gradient-checkpointing]
                                 [--device auto|cpu|cuda] [--json]

Synthetic pairs (random W+, landmark points, images and the elliptical inner mask) through the
real step: the swap, the stand-in critics at the same width (the pretrained ones cost the same),
both optimisers, R1 on the 16th steps. The first step is a warm-up and is not timed. Peak memory
is torch.cuda.max_memory_allocated on CUDA and the process's peak RSS on CPUs: run one
configuration per process to compare them.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np
import torch

from fslsd_reference.fixtures import inner_mask
from fslsd_reference.preprocess import landmark_maps

from .step import Batch
from .train import TrainConfig, build_parts, optimise

PAPER_ITERATIONS = 500_000


def synthetic_batch(size: int, seed: int, device) -> Batch:
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    maps = torch.cat([landmark_maps(*rng.uniform(60, 196, size=(2, 106, 2))) for _ in range(size)])
    image = lambda: torch.rand(size, 3, 1024, 1024, generator=generator) * 2 - 1  # noqa: E731
    target = image()
    mask = torch.from_numpy(inner_mask().astype(np.float32) / 255.0)[None, None].expand(size, 1, 1024, 1024).contiguous()
    batch = Batch(source_wplus=torch.randn(size, 18, 512, generator=generator), target_wplus=torch.randn(size, 18, 512, generator=generator),
                  maps=maps, source=image(), target=target, mask=mask, self_swap=torch.arange(size) % 2 == 0)
    return Batch(**{name: getattr(batch, name).to(device) for name in batch.__dataclass_fields__})


def measure(width: float, batch_size: int, steps: int, amp: bool, checkpointing: bool, device: torch.device) -> dict:
    config = TrainConfig(data="", out="", width=width, batch=batch_size, amp=amp, gradient_checkpointing=checkpointing, stand_ins=True)
    parts = build_parts(config, device)
    batch = synthetic_batch(batch_size, 0, device)
    cuda = device.type == "cuda"
    times = []
    for step in range(1, steps + 2):
        if cuda:
            torch.cuda.synchronize()
        tick = time.perf_counter()
        optimise(parts, batch, 16 if step == 2 else step)  # one timed step pays for lazy R1
        if cuda:
            torch.cuda.synchronize()
        if step > 1:  # the first step warms up (allocator, oneDNN/cuDNN algorithm choice)
            times.append(time.perf_counter() - tick)
    seconds = float(np.median(times))
    result = {
        "device": torch.cuda.get_device_name(device) if cuda else f"CPU ({torch.get_num_threads()} threads)",
        "width": width, "batch": batch_size, "amp": amp, "gradient_checkpointing": checkpointing, "steps_timed": len(times),
        "seconds_per_iteration": seconds, "iterations_per_second": 1 / seconds,
        "days_for_500k": PAPER_ITERATIONS * seconds / 86400,
    }
    if cuda:
        result["peak_gpu_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
    else:
        result["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m fslsd_train.bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5, help="timed steps (after one warm-up step)")
    parser.add_argument("--amp", action="store_true")
    parser.add_argument("--gradient-checkpointing", action="store_true")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    device = torch.device("cuda" if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()) else "cpu")
    result = measure(args.width, args.batch, args.steps, args.amp, args.gradient_checkpointing, device)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value:.4g}" if isinstance(value, float) else f"{key:>24}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
