"""The trainer's tests train on the shipped public-domain photos (packages/models/assets/photos),
prepared by the SDK itself: `fslsd dataset prepare --augment flip` with the shipped tiny set,
whose pSp weights (seed 1, width 1/16) are those of `fslsd_reference.checkpoints`. Prepared once
per test process; the built CLI (npm test builds it first) is required, not simulated.
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile

from fslsd_reference.tiny import WIDTH

PACKAGES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
CLI = os.path.join(PACKAGES, "node", "dist", "cli.js")
PHOTOS = os.path.join(PACKAGES, "models", "assets", "photos")
SCRATCH = tempfile.mkdtemp(prefix="fslsd-train-tests-")
atexit.register(shutil.rmtree, SCRATCH, True)
_prepared = {}

__all__ = ["WIDTH", "CLI", "node", "prepared_dataset", "scratch"]


def node(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    if not os.path.isfile(CLI):
        raise RuntimeError(f"{CLI} is missing: build the SDK first (pnpm -r build, or npm test does it)")
    done = subprocess.run(["node", CLI, *args], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"fslsd {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def prepared_dataset() -> str:
    """DATA for the shipped photos, each also mirrored: 2 photos, 4 faces."""
    if "data" not in _prepared:
        data = os.path.join(SCRATCH, "data")
        node("dataset", "prepare", "--in", PHOTOS, "--out", data, "--augment", "flip", "--quiet")
        _prepared["data"] = data
    return _prepared["data"]


def scratch(name: str) -> str:
    path = os.path.join(SCRATCH, name)
    shutil.rmtree(path, ignore_errors=True)
    return path
