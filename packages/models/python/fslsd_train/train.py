"""The training loop: one process, or one per GPU under torchrun (DistributedDataParallel).

Each step: the swap's forward on this rank's pairs, the generator-side objective (step.py)
backpropagated into E_le, E_t and the decoder (plus G or the editor when unfrozen), then the
discriminator's step on the same y_f, detached. Everything a step depends on (the weights, both
optimisers, the AMP scalers, the RNG states and the step number: the pairs are a function of
seed, step and rank) is in the checkpoint, so a resumed run repeats the uninterrupted one.
"""
from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from fslsd_reference.width import Width

from . import checkpoints, pretrained
from .dataset import PreparedDataset, draw_pairs
from .discriminator import Discriminator
from .losses import LossWeights
from .model import SwapModel
from .samples import write_grid
from .step import discriminator_losses, generator_losses

# The paper's weights (eq. 9), and those the released test.py still carries as option defaults
# (--lpips 5 --hm 0.5 --l2 10 --id 10 --lmk 0.1 --adv 5 --r1 10): L2 10 and LPIPS 5 inside L_rec.
PRESETS = {
    "paper": LossWeights(),
    "released": LossWeights(adv=5.0, id=10.0, lmk=0.1, rec=10.0, st=0.5, perceptual=0.5, r1=10.0, r1_every=16),
}
# Fields a resumed run must share with the run it continues; the rest (steps, intervals) may change.
IDENTITY = ("data_faces", "width", "batch", "seed", "weights", "reconstruction", "self_swap_ratio", "split",
            "train_generator", "train_editor", "lr", "lr_d", "holdout", "stand_ins")


@dataclass
class TrainConfig:
    data: str
    out: str
    steps: int = 500_000
    batch: int = 8
    lr: float = 1e-4
    lr_d: float = 1e-4
    weights: str = "paper"
    loss_weights: dict = field(default_factory=dict)
    reconstruction: str = "self"
    self_swap_ratio: float = 0.5
    holdout: float = 0.05
    split: str = "official"
    width: float = 1.0
    seed: int = 0
    stylegan2: str | None = None
    editor: str | None = None
    init: str | None = None
    arcface: str | None = None
    h3r: str | None = None
    vgg: str | None = None
    stand_ins: bool = False
    train_generator: bool = False
    train_editor: bool = False
    amp: bool = False
    gradient_checkpointing: bool = False
    checkpoint_every: int = 5000
    keep: int = 3
    sample_every: int = 1000
    eval_pairs: int = 16
    device: str = "auto"
    data_faces: str = ""

    def loss_weight_values(self) -> LossWeights:
        return dataclasses.replace(PRESETS[self.weights], **self.loss_weights)


class Distributed:
    """torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK), or one process."""

    def __init__(self, device: str):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        cuda = torch.cuda.is_available() if device == "auto" else device == "cuda"
        if device == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("--device cuda: this PyTorch sees no CUDA device (torch.cuda.is_available() is False)")
        self.device = torch.device(f"cuda:{local}" if cuda else "cpu")
        if cuda:
            torch.cuda.set_device(self.device)
        if self.world > 1:
            dist.init_process_group("nccl" if cuda else "gloo")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def mean(self, values: dict) -> dict:
        """Averages each value over the ranks (every rank holds the same keys)."""
        names = sorted(values)
        stacked = torch.tensor([float(values[name]) for name in names], dtype=torch.float64)
        if self.world > 1:
            dist.all_reduce(stacked)
            stacked /= self.world
        return dict(zip(names, stacked.tolist()))

    def agree(self, model: torch.nn.Module) -> bool:
        """Whether every rank holds the same weights (a sum of every parameter, compared)."""
        if self.world == 1:
            return True
        total = torch.stack([p.detach().double().sum() for p in model.parameters()]).sum().reshape(1).cpu()
        gathered = [torch.zeros(1, dtype=torch.float64) for _ in range(self.world)]
        dist.all_gather(gathered, total)
        return all(float(g) == float(gathered[0]) for g in gathered)

    def barrier(self) -> None:
        if self.world > 1:
            dist.barrier()

    def close(self) -> None:
        if self.world > 1:
            dist.destroy_process_group()


def set_requires_grad(module: torch.nn.Module, flag: bool) -> None:
    for parameter in module.parameters():
        parameter.requires_grad_(flag)


@dataclass
class Parts:
    """What one optimisation step touches. `swap` and `critic_d` are the DDP-wrapped model and
    discriminator under torchrun, else the modules themselves."""

    model: SwapModel
    swap: torch.nn.Module
    critics: object
    discriminator: Discriminator
    critic_d: torch.nn.Module
    optimizer: torch.optim.Optimizer
    optimizer_d: torch.optim.Optimizer
    scaler: torch.cuda.amp.GradScaler
    scaler_d: torch.cuda.amp.GradScaler
    autocast: dict
    weights: LossWeights
    reconstruction: str


def build_parts(config: TrainConfig, device: torch.device, world: int = 1) -> Parts:
    weights = config.loss_weight_values()
    networks = pretrained.swap_networks(config.width, config.seed, config.stylegan2, config.editor, config.init)
    model = SwapModel(networks, config.split, config.train_generator, config.train_editor).to(device).train()
    if config.gradient_checkpointing:
        model.checkpoint_activations()
    critics = pretrained.critics(config.arcface, config.h3r, config.vgg, config.stand_ins, config.width, config.seed).to(device)
    torch.manual_seed(config.seed + 1)
    discriminator = Discriminator(1024, Width(config.width)).to(device)
    optimizer = torch.optim.Adam(list(model.trainable_parameters()), lr=config.lr, betas=(0.9, 0.999), eps=1e-8)
    # Lazy R1 (StyleGAN2): the discriminator's Adam is adjusted for regularising every k steps.
    k = weights.r1_every / (weights.r1_every + 1) if weights.r1_every else 1.0
    optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr_d * k, betas=(0.9 ** k, 0.999 ** k), eps=1e-8)
    cuda = device.type == "cuda"
    swap, critic_d = model, discriminator
    if world > 1:
        ids = [device.index] if cuda else None
        swap = DistributedDataParallel(model, device_ids=ids)
        critic_d = DistributedDataParallel(discriminator, device_ids=ids, broadcast_buffers=False)
    return Parts(
        model=model, swap=swap, critics=critics, discriminator=discriminator, critic_d=critic_d, optimizer=optimizer,
        optimizer_d=optimizer_d, scaler=torch.cuda.amp.GradScaler(enabled=config.amp and cuda),
        scaler_d=torch.cuda.amp.GradScaler(enabled=config.amp and cuda),
        # Mixed precision: float16 with loss scaling on CUDA; bfloat16 (no scaling needed) on CPUs.
        autocast=dict(device_type=device.type, dtype=torch.float16 if cuda else torch.bfloat16, enabled=config.amp),
        weights=weights, reconstruction=config.reconstruction)


def optimise(parts: Parts, batch, step: int) -> tuple:
    """One step: the generator side's objective and update, then the discriminator's on the same
    y_f, detached. Returns both sets of loss terms."""
    # The generator's step: D is a fixed critic here (no gradient into its weights).
    set_requires_grad(parts.discriminator, False)
    with torch.autocast(**parts.autocast):
        terms = generator_losses(parts.swap, parts.critics, parts.discriminator, batch, parts.weights, parts.reconstruction, keep_image=True)
    image = terms.pop("image")
    parts.optimizer.zero_grad(set_to_none=True)
    parts.scaler.scale(terms["total"]).backward()
    parts.scaler.step(parts.optimizer)
    parts.scaler.update()
    set_requires_grad(parts.discriminator, True)
    with torch.autocast(**parts.autocast):
        d_terms = discriminator_losses(parts.critic_d, batch.target, image.detach(), step, parts.weights)
    parts.optimizer_d.zero_grad(set_to_none=True)
    parts.scaler_d.scale(d_terms["total"]).backward()
    parts.scaler_d.step(parts.optimizer_d)
    parts.scaler_d.update()
    return terms, d_terms


class Trainer:
    def __init__(self, config: TrainConfig, log=print):
        self.config = config
        self.log = log
        self.env = Distributed(config.device)
        if config.batch % self.env.world:
            raise ValueError(f"--batch {config.batch} does not divide over {self.env.world} processes")
        self.dataset = PreparedDataset(config.data)
        config.data_faces = f"{len(self.dataset)} faces, models {self.dataset.manifest.get('models', {}).get('pspEncoderSha256', '?')[:16]}"
        self.train_faces, self.eval_faces = self.dataset.split(config.holdout)
        if not self.train_faces:
            raise ValueError(f"{config.data}: no face left to train on after holding out {config.holdout:.0%}")
        parts = build_parts(config, self.env.device, self.env.world)
        self.parts = parts
        self.weights = parts.weights
        self.model, self.critics, self.discriminator = parts.model, parts.critics, parts.discriminator
        self.optimizer, self.optimizer_d, self.scaler, self.scaler_d = parts.optimizer, parts.optimizer_d, parts.scaler, parts.scaler_d
        self.step = 0
        self.resume_or_start()

    # -- state -------------------------------------------------------------------------------
    def training_state(self) -> dict:
        return {
            "discriminator": self.discriminator.state_dict(), "optimizer": self.optimizer.state_dict(),
            "optimizer_d": self.optimizer_d.state_dict(), "scaler": self.scaler.state_dict(),
            "scaler_d": self.scaler_d.state_dict(), "config": dataclasses.asdict(self.config),
        }

    def resume_or_start(self) -> None:
        config_path = os.path.join(self.config.out, "config.json")
        ours = dataclasses.asdict(self.config)
        folder = checkpoints.latest(self.config.out)
        if folder is None:
            if self.env.main:
                os.makedirs(self.config.out, exist_ok=True)
                write_json(config_path, ours)
            return
        state = checkpoints.load_training(folder)
        theirs = state["config"]
        differ = [name for name in IDENTITY if theirs.get(name) != ours.get(name)]
        if differ:
            raise ValueError(f"{self.config.out} holds a run with other settings ({', '.join(f'{n}: {theirs.get(n)!r} there, {ours.get(n)!r} here' for n in differ)}). "
                             "Resume it with the same options, or give a new --out.")
        weights = checkpoints.load_weights(folder)
        from fslsd_reference.networks import FSLSD_CHECKPOINT_KEYS
        for key, name in FSLSD_CHECKPOINT_KEYS.items():
            getattr(self.model, name).load_state_dict(weights[key], strict=True)
        self.discriminator.load_state_dict(state["discriminator"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.optimizer_d.load_state_dict(state["optimizer_d"])
        self.scaler.load_state_dict(state["scaler"])
        self.scaler_d.load_state_dict(state["scaler_d"])
        checkpoints.set_rng_state(state["rng"])
        self.step = state["step"]
        if self.env.main:
            truncate_log(os.path.join(self.config.out, "log.jsonl"), self.step)
            write_json(config_path, ours)
        self.log(f"resumed {self.config.out} at step {self.step} from {folder}")

    # -- one step ------------------------------------------------------------------------------
    def train_step(self) -> dict:
        step = self.step + 1
        share = self.config.batch // self.env.world
        pairs = draw_pairs(self.train_faces, share, self.config.seed, step, self.env.rank, self.config.self_swap_ratio)
        batch = to_device(self.dataset.batch(pairs), self.env.device)
        terms, d_terms = optimise(self.parts, batch, step)
        self.step = step
        values = {name: float(value) for name, value in terms.items()}
        values.update({f"d_{name}" if name != "d" else "d": float(value) for name, value in d_terms.items()})
        values["self_swaps"] = float(batch.self_swap.sum())
        return self.env.mean(values)

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> dict:
        config = self.config
        log_path = os.path.join(config.out, "log.jsonl")
        started = time.perf_counter()
        last = {}
        if self.env.main:
            self.log(f"training {len(self.train_faces)} faces ({len(self.eval_faces)} held out) on {self.env.world} x {self.env.device}, "
                     f"batch {config.batch}, steps {self.step + 1}..{config.steps}, weights {config.weights}")
        while self.step < config.steps:
            tick = time.perf_counter()
            values = self.train_step()
            record = {"step": self.step, "seconds": round(time.perf_counter() - tick, 4), **{k: round(v, 7) for k, v in values.items()}}
            if self.env.main:
                append_jsonl(log_path, record)
                self.log(f"step {self.step}/{config.steps}  total {values['total']:.4f}  d {values['d_total']:.4f}  {record['seconds']:.2f}s")
            last = record
            final = self.step == config.steps
            if config.sample_every and (self.step % config.sample_every == 0 or final) and self.env.main:
                write_grid(self, os.path.join(config.out, "samples", f"step-{self.step:06d}.png"))
            if config.checkpoint_every and (self.step % config.checkpoint_every == 0 or final):
                self.save(log_path)
        self.log(f"done: {config.steps} steps in {time.perf_counter() - started:.1f}s" if self.env.main else "")
        self.env.close()
        return last

    def save(self, log_path: str) -> None:
        in_sync = self.env.agree(self.model) and self.env.agree(self.discriminator)
        if not in_sync:
            raise RuntimeError(f"step {self.step}: the processes hold different weights; distributed training is broken")
        if self.env.main:
            folder = checkpoints.save(self.config.out, self.step, self.model, self.training_state(), self.config.keep)
            record = {"step": self.step, "checkpoint": os.path.relpath(folder, self.config.out), "world": self.env.world, "ranks_agree": in_sync}
            if self.eval_faces and self.config.eval_pairs:
                from .evaluate import evaluate
                record["eval"] = evaluate(self.model, self.critics, self.dataset, self.eval_faces, self.config.eval_pairs, self.env.device)
            append_jsonl(log_path, record)
        self.env.barrier()


def to_device(batch, device):
    return dataclasses.replace(batch, **{f.name: getattr(batch, f.name).to(device) for f in dataclasses.fields(batch)})


def write_json(path: str, value) -> None:
    with open(path + ".partial", "w", encoding="utf-8") as file:
        json.dump(value, file, indent=2)
    os.replace(path + ".partial", path)


def append_jsonl(path: str, record: dict) -> None:
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps(record) + "\n")


def truncate_log(path: str, step: int) -> None:
    """Drops log lines past `step`: a resumed run's log reads as the uninterrupted run's."""
    if not os.path.isfile(path):
        return
    with open(path, encoding="utf-8") as file:
        kept = [line for line in file if line.strip() and json.loads(line)["step"] <= step]
    with open(path + ".partial", "w", encoding="utf-8") as file:
        file.writelines(kept)
    os.replace(path + ".partial", path)
