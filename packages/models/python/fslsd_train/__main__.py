"""Train FSLSD on a dataset made by `fslsd dataset prepare`, evaluate a checkpoint, plot a run.

    python3 -m fslsd_train train --data DATA --out RUN --stylegan2 stylegan2-ffhq-config-f.pt \\
        --arcface model_ir_se50.pth --h3r model.pth --vgg vgg16-397923af.pth [--editor CELEBA-HQ-1024.pt]
    torchrun --nproc_per_node 4 -m fslsd_train train ...        # one process per GPU (DDP)
    torchrun --nnodes 2 --node_rank R --master_addr HOST --nproc_per_node 4 -m fslsd_train train ...
    python3 -m fslsd_train evaluate --data DATA --checkpoint RUN/checkpoints/step-500000 --arcface ... --h3r ...
    python3 -m fslsd_train plot --log RUN/log.jsonl --out curves.png

A run folder holds config.json, log.jsonl (one JSON line per step: every loss; one per checkpoint:
held-out evaluation), samples/step-N.png and checkpoints/step-N/{CELEBA-HQ-1024.pt, training.pt}.
Running the same command again resumes from the newest checkpoint, exactly.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from .train import PRESETS, TrainConfig, Trainer


def add_critic_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("pretrained critics (the losses look through them; never trained)")
    group.add_argument("--arcface", metavar="PATH", help="ArcFace IR-SE-50, TreB1eN's model_ir_se50.pth (identity loss)")
    group.add_argument("--h3r", metavar="PATH", help="H3R LaPa hrnet18 model.pth (landmark loss, soft-argmax)")
    group.add_argument("--vgg", metavar="PATH", help="torchvision's vgg16-397923af.pth (perceptual term of L_rec)")
    group.add_argument("--stand-ins", action="store_true",
                       help="random critics and generator at --width instead of pretrained ones: for tests; learns nothing useful")
    parser.add_argument("--width", type=float, default=1.0, help="channel width of every network (1 = the paper's; 0.0625 = tiny sets')")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--holdout", type=float, default=0.05, help="fraction of photos held out for evaluation (default 0.05)")
    parser.add_argument("--split", default="official", help="latent split: official | paper | megafs (default official)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")


def train_parser(sub) -> None:
    parser = sub.add_parser("train", help="train E_le, E_t and the decoder", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="folder written by `fslsd dataset prepare`")
    parser.add_argument("--out", required=True, help="run folder (created; resumed when it holds checkpoints)")
    inputs = parser.add_argument_group("pretrained inputs")
    inputs.add_argument("--stylegan2", metavar="PATH", help="rosinality's stylegan2-ffhq-config-f.pt (g_ema): the generator G")
    inputs.add_argument("--editor", metavar="PATH", help="a checkpoint with bald_model (the latent editor); default: the identity")
    inputs.add_argument("--init", metavar="PATH", help="a CELEBA-HQ-1024.pt to start every swap network from (fine-tuning)")
    add_critic_options(parser)
    recipe = parser.add_argument_group("recipe (defaults: the paper's)")
    recipe.add_argument("--steps", type=int, default=500_000, help="iterations (paper: 500K)")
    recipe.add_argument("--batch", type=int, default=8, help="pairs per step over all processes (paper: 8)")
    recipe.add_argument("--lr", type=float, default=1e-4, help="Adam learning rate (paper 1e-4; the released test.py says 5e-5)")
    recipe.add_argument("--lr-d", type=float, default=1e-4, help="discriminator's learning rate")
    recipe.add_argument("--weights", choices=sorted(PRESETS), default="paper",
                        help="loss weights: paper (adv 1, id 2, lmk 0.1, rec 2, st 0.2, F 0.8) or released (test.py's option defaults)")
    recipe.add_argument("--weight", action="append", default=[], metavar="NAME=VALUE",
                        help="override one weight: adv, id, lmk, rec, st, perceptual, r1, r1_every (repeatable)")
    recipe.add_argument("--reconstruction", choices=["self", "all"], default="self",
                        help="L_rec on self-swaps only (default; y should equal x_t there) or on every pair")
    recipe.add_argument("--self-swap-ratio", type=float, default=0.5, help="share of pairs with x_s = x_t (default 0.5)")
    recipe.add_argument("--train-generator", action="store_true", help="also fine-tune G (frozen by default)")
    recipe.add_argument("--train-editor", action="store_true", help="also train the latent editor (frozen by default)")
    speed = parser.add_argument_group("speed and memory")
    speed.add_argument("--amp", action="store_true", help="mixed precision: float16 + loss scaling on CUDA, bfloat16 on CPU")
    speed.add_argument("--gradient-checkpointing", action="store_true",
                       help="recompute G, E_t and decoder activations in the backward pass: less memory, ~1 more forward")
    every = parser.add_argument_group("outputs")
    every.add_argument("--checkpoint-every", type=int, default=5000, help="steps between checkpoints (and evaluations)")
    every.add_argument("--keep", type=int, default=3, help="checkpoints kept (0: all)")
    every.add_argument("--sample-every", type=int, default=1000, help="steps between sample grids (0: never)")
    every.add_argument("--eval-pairs", type=int, default=16, help="held-out pairs evaluated at each checkpoint (0: none)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m fslsd_train", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    train_parser(sub)
    evaluation = sub.add_parser("evaluate", help="identity cosine and landmark error of a checkpoint on held-out faces")
    evaluation.add_argument("--data", required=True)
    evaluation.add_argument("--checkpoint", required=True, help="a checkpoint folder or a CELEBA-HQ-1024.pt")
    evaluation.add_argument("--pairs", type=int, default=0, help="pairs to evaluate (default: one per held-out face)")
    add_critic_options(evaluation)
    plot = sub.add_parser("plot", help="draw the loss curves of a run's log.jsonl")
    plot.add_argument("--log", required=True)
    plot.add_argument("--out", required=True, help="PNG to write")
    plot.add_argument("--window", type=int, default=10, help="smoothing window in steps")
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            return train(args)
        if args.command == "evaluate":
            return evaluate_command(args)
        from .samples import plot_log
        print(json.dumps(plot_log(args.log, args.out, args.window), indent=2))
        return 0
    except (ValueError, FileNotFoundError, KeyError, RuntimeError) as error:
        print(f"fslsd_train {args.command}: {error}", file=sys.stderr)
        return 1


def train(args) -> int:
    overrides = {}
    for item in args.weight:
        name, _, value = item.partition("=")
        if name not in PRESETS["paper"].__dataclass_fields__ or not value:
            raise ValueError(f"--weight {item!r}: expected NAME=VALUE with NAME one of {', '.join(PRESETS['paper'].__dataclass_fields__)}")
        overrides[name] = int(value) if name == "r1_every" else float(value)
    # Cheap checks first: a missing file should not cost a minute of network building.
    for flag in ("stylegan2", "editor", "init", "arcface", "h3r", "vgg"):
        path = getattr(args, flag)
        if path and not os.path.isfile(path):
            raise ValueError(f"--{flag} {path}: no such file")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise ValueError(f"--out {args.out} is a file; give a folder (created, or a run to resume)")
    if args.batch < 1 or args.steps < 1:
        raise ValueError("--batch and --steps must be at least 1")
    if not args.stand_ins and not args.stylegan2 and not args.init:
        raise ValueError("--stylegan2 (or --init) is required: G is a pretrained StyleGAN2 FFHQ 1024; --stand-ins for tests")
    config = TrainConfig(
        data=args.data, out=args.out, steps=args.steps, batch=args.batch, lr=args.lr, lr_d=args.lr_d, weights=args.weights,
        loss_weights=overrides, reconstruction=args.reconstruction, self_swap_ratio=args.self_swap_ratio, holdout=args.holdout,
        split=args.split, width=args.width, seed=args.seed, stylegan2=args.stylegan2, editor=args.editor, init=args.init,
        arcface=args.arcface, h3r=args.h3r, vgg=args.vgg, stand_ins=args.stand_ins, train_generator=args.train_generator,
        train_editor=args.train_editor, amp=args.amp, gradient_checkpointing=args.gradient_checkpointing,
        checkpoint_every=args.checkpoint_every, keep=args.keep, sample_every=args.sample_every, eval_pairs=args.eval_pairs,
        device=args.device)
    Trainer(config).run()
    return 0


def evaluate_command(args) -> int:
    import torch

    from . import pretrained
    from .dataset import PreparedDataset
    from .evaluate import evaluate
    from .model import SwapModel

    dataset = PreparedDataset(args.data)
    _, held = dataset.split(args.holdout)
    if not held:
        raise ValueError(f"{args.data} has no held-out photo at --holdout {args.holdout} (it needs two photos or more)")
    device = torch.device("cuda" if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()) else "cpu")
    from .checkpoints import FSLSD_FILE
    path = os.path.join(args.checkpoint, FSLSD_FILE) if os.path.isdir(args.checkpoint) else args.checkpoint
    model = SwapModel(pretrained.swap_networks(args.width, args.seed, init=path), args.split).to(device)
    critics = pretrained.critics(args.arcface, args.h3r, args.vgg, args.stand_ins, args.width, args.seed, perceptual_needed=False).to(device)
    print(json.dumps({"checkpoint": path, **evaluate(model, critics, dataset, held, args.pairs, device)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
