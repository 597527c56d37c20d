"""A run's checkpoints: the weights in the released layout, and beside them what resuming needs.

    RUN/checkpoints/step-000200/CELEBA-HQ-1024.pt   {encoder_lmk, encoder_target, generator, decoder,
                                                     bald_model}: what fslsd_reference.export and
                                                     `fslsd models import --fslsd` read
    RUN/checkpoints/step-000200/training.pt         discriminator, optimisers, scalers, RNG states, step
    RUN/checkpoints/latest                          the name of the newest complete folder

A folder is written under a temporary name and renamed, and `latest` is replaced after it, so a
run killed while saving resumes from the previous checkpoint.
"""
from __future__ import annotations

import os
import random
import shutil

import numpy as np
import torch

from fslsd_reference.networks import FSLSD_CHECKPOINT_KEYS

FSLSD_FILE = "CELEBA-HQ-1024.pt"
TRAINING_FILE = "training.pt"


def folder_name(step: int) -> str:
    return f"step-{step:06d}"


def rng_state() -> dict:
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save(run: str, step: int, swap_model, training: dict, keep: int = 0) -> str:
    """Writes step-N/ and points `latest` at it; keeps the newest `keep` folders (0: all)."""
    root = os.path.join(run, "checkpoints")
    os.makedirs(root, exist_ok=True)
    final = os.path.join(root, folder_name(step))
    partial = final + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    weights = {key: getattr(swap_model, name).state_dict() for key, name in FSLSD_CHECKPOINT_KEYS.items()}
    torch.save(weights, os.path.join(partial, FSLSD_FILE))
    torch.save({**training, "step": step, "rng": rng_state()}, os.path.join(partial, TRAINING_FILE))
    shutil.rmtree(final, ignore_errors=True)
    os.replace(partial, final)
    with open(os.path.join(root, "latest.partial"), "w", encoding="utf-8") as file:
        file.write(folder_name(step) + "\n")
    os.replace(os.path.join(root, "latest.partial"), os.path.join(root, "latest"))
    if keep > 0:
        done = sorted(name for name in os.listdir(root) if name.startswith("step-") and not name.endswith(".partial"))
        for name in done[:-keep]:
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)
    return final


def latest(run: str) -> str | None:
    """The newest complete checkpoint folder of a run, or None."""
    pointer = os.path.join(run, "checkpoints", "latest")
    if not os.path.isfile(pointer):
        return None
    with open(pointer, encoding="utf-8") as file:
        folder = os.path.join(run, "checkpoints", file.read().strip())
    return folder if os.path.isfile(os.path.join(folder, TRAINING_FILE)) else None


def load_weights(folder_or_file: str) -> dict:
    path = os.path.join(folder_or_file, FSLSD_FILE) if os.path.isdir(folder_or_file) else folder_or_file
    return torch.load(path, map_location="cpu", weights_only=True)


def load_training(folder: str) -> dict:
    # The RNG states hold numpy arrays and Python tuples: this file is ours, written by save().
    return torch.load(os.path.join(folder, TRAINING_FILE), map_location="cpu", weights_only=False)
