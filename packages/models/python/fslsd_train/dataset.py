"""The trainer's reader of a dataset written by `fslsd dataset prepare` (docs/dataset.md), and the
pairs it draws from it.

    DATA/dataset.json            manifest: format "fslsd-dataset", version 1, the sorted face ids
    DATA/faces/<id>/crop.png     1024² aligned crop, 8-bit RGB
    DATA/faces/<id>/mask.png     1024² inner-face mask, 8-bit grey, 255 = face
    DATA/faces/<id>/wplus.f32    pSp W+ [18, 512], float32 little-endian
    DATA/faces/<id>/face.json    photo, variant, 106 landmarks in 256² crop pixels, ...

Pairs are a function of (seed, step, rank) only, so a resumed run draws exactly the batches the
uninterrupted run would have drawn, and each rank of a distributed run draws its own.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from PIL import Image

from fslsd_reference.preprocess import landmark_maps

from .step import Batch

FORMAT = "fslsd-dataset"
VERSION = 1
CROP_SIZE = 1024
WPLUS_SHAPE = (18, 512)


class DatasetError(ValueError):
    """A dataset folder the trainer cannot read; the message says what is wrong and the fix."""


@dataclass(frozen=True)
class Face:
    id: str
    photo: str
    variant: str
    landmarks: np.ndarray  # [106, 2] in 256² crop pixels


class PreparedDataset:
    def __init__(self, folder: str, cache: int = 64):
        self.folder = folder
        path = os.path.join(folder, "dataset.json")
        if not os.path.isfile(path):
            raise DatasetError(f"{folder} has no dataset.json. Make one with: fslsd dataset prepare --in PHOTOS --out {folder}")
        with open(path, encoding="utf-8") as file:
            self.manifest = json.load(file)
        if self.manifest.get("format") != FORMAT or self.manifest.get("version") != VERSION:
            raise DatasetError(f"{path} is not an {FORMAT} version {VERSION} manifest (format {self.manifest.get('format')!r}, "
                               f"version {self.manifest.get('version')!r}). Prepare it again with this version of fslsd.")
        if self.manifest.get("cropSize", CROP_SIZE) != CROP_SIZE:
            raise DatasetError(f"{path} holds {self.manifest['cropSize']}² crops; the trainer needs {CROP_SIZE}².")
        ids = list(self.manifest.get("faces", []))
        if not ids:
            raise DatasetError(f"{path} lists no faces ({self.manifest.get('counts')}). Check its 'skipped' list for why, "
                               "and prepare a folder of photos with one clear face each.")
        self.faces = [self._face(face_id) for face_id in ids]
        self.load = lru_cache(maxsize=cache)(self._load)

    def _face(self, face_id: str) -> Face:
        path = os.path.join(self.folder, "faces", face_id, "face.json")
        if not os.path.isfile(path):
            raise DatasetError(f"{path} is missing: the dataset was not finished. Run the same fslsd dataset prepare again; it resumes.")
        with open(path, encoding="utf-8") as file:
            record = json.load(file)
        landmarks = np.asarray(record["landmarks"], dtype=np.float64)
        if landmarks.shape != (106, 2):
            raise DatasetError(f"{path}: landmarks are {landmarks.shape}, not 106 x [x, y].")
        return Face(id=face_id, photo=record["photo"], variant=record.get("variant", "original"), landmarks=landmarks)

    def _load(self, index: int) -> dict:
        """One face's tensors: crop [3, 1024, 1024] in [-1, 1], mask [1, 1024, 1024] in [0, 1], W+ [18, 512]."""
        folder = os.path.join(self.folder, "faces", self.faces[index].id)
        crop = np.asarray(Image.open(os.path.join(folder, "crop.png")).convert("RGB"))
        mask = np.asarray(Image.open(os.path.join(folder, "mask.png")).convert("L"))
        if crop.shape != (CROP_SIZE, CROP_SIZE, 3) or mask.shape != (CROP_SIZE, CROP_SIZE):
            raise DatasetError(f"{folder}: crop {crop.shape} or mask {mask.shape} is not {CROP_SIZE}².")
        raw = np.fromfile(os.path.join(folder, "wplus.f32"), dtype="<f4")
        if raw.size != WPLUS_SHAPE[0] * WPLUS_SHAPE[1]:
            raise DatasetError(f"{folder}/wplus.f32 holds {raw.size} floats, not 18 x 512.")
        return {
            "image": torch.from_numpy(crop.copy()).permute(2, 0, 1).float().div(255.0).sub(0.5).div(0.5),
            "mask": torch.from_numpy(mask.copy()).float().div(255.0)[None],
            "wplus": torch.from_numpy(raw.astype(np.float32).reshape(WPLUS_SHAPE)),
        }

    def __len__(self) -> int:
        return len(self.faces)

    def split(self, holdout: float) -> tuple:
        """(train, held-out) face indices. Whole photos are held out (a photo's mirrored variant
        stays with it), chosen by a hash of the photo's path: the same on every machine and run.
        At least one photo is held out when holdout > 0 and there are two photos or more."""
        photos = sorted({face.photo for face in self.faces}, key=lambda p: hashlib.sha256(p.encode()).hexdigest())
        count = 0 if holdout <= 0 or len(photos) < 2 else min(len(photos) - 1, max(1, round(holdout * len(photos))))
        held = set(photos[:count])
        train = [i for i, face in enumerate(self.faces) if face.photo not in held]
        evaluation = [i for i, face in enumerate(self.faces) if face.photo in held]
        return train, evaluation

    def batch(self, pairs: list) -> Batch:
        """(source, target) index pairs -> a Batch of tensors."""
        sources = [self.load(s) for s, _ in pairs]
        targets = [self.load(t) for _, t in pairs]
        maps = torch.cat([landmark_maps(self.faces[s].landmarks, self.faces[t].landmarks) for s, t in pairs])
        return Batch(
            source_wplus=torch.stack([x["wplus"] for x in sources]), target_wplus=torch.stack([x["wplus"] for x in targets]),
            maps=maps, source=torch.stack([x["image"] for x in sources]), target=torch.stack([x["image"] for x in targets]),
            mask=torch.stack([x["mask"] for x in targets]), self_swap=torch.tensor([s == t for s, t in pairs]),
        )


def draw_pairs(indices: list, count: int, seed: int, step: int, rank: int, self_swap_ratio: float) -> list:
    """`count` (source, target) pairs for one rank's share of one step: targets uniform over
    `indices`; with probability `self_swap_ratio` the source is the target itself (the pairs
    where x_s = x_t and L_rec applies by default), else another face drawn uniformly."""
    rng = np.random.default_rng([seed, step, rank])
    pairs = []
    for _ in range(count):
        target = indices[int(rng.integers(len(indices)))]
        if len(indices) == 1 or rng.random() < self_swap_ratio:
            pairs.append((target, target))
            continue
        others = [i for i in indices if i != target]
        pairs.append((others[int(rng.integers(len(others)))], target))
    return pairs
