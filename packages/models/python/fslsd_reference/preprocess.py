"""Inputs of the networks, computed exactly as the TypeScript pipeline computes them.

- Images: uint8 RGB -> float in [-1, 1] ((x / 255 - 0.5) / 0.5, torchvision's ToTensor+Normalize).
- 1024 -> 256 for pSp: what the released pipeline does, torchvision's Resize((256, 256)) on a PIL
  image, i.e. Pillow's 8-bit bilinear resize; then the same [-1, 1] mapping.
- Landmark maps: the official dataset code writes exp(-d^2 / 2 sigma^2) into a uint8 array,
  so only the point's own pixel survives as 1; it then transposes HWC->CWH, which puts the 1 of
  point (x, y) at [channel, int(y), int(x)]. int() truncates toward zero; a point whose x or
  y equals -1 is skipped; a point outside the 256^2 grid sets nothing.
"""

import numpy as np
import torch
from PIL import Image

MAP_SIZE = 256


def image_to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """uint8 [H, W, 3] -> float32 [1, 3, H, W] in [-1, 1]."""
    x = torch.from_numpy(np.array(rgb, dtype=np.uint8)).permute(2, 0, 1).float().unsqueeze(0)
    return (x / 255.0 - 0.5) / 0.5


def psp_input(rgb: np.ndarray) -> torch.Tensor:
    """uint8 [1024, 1024, 3] -> pSp's input float32 [1, 3, 256, 256]: Pillow's 8-bit bilinear resize, then [-1, 1]."""
    small = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), mode="RGB").resize((MAP_SIZE, MAP_SIZE), Image.BILINEAR)
    return image_to_tensor(np.asarray(small))


def landmark_indices(points: np.ndarray) -> np.ndarray:
    """[N, 2] (x, y) in 256^2 crop pixels -> flat pixel index per point, -1 where nothing is set."""
    out = np.full(len(points), -1, dtype=np.int64)
    for i, (x, y) in enumerate(points):
        if x == -1 or y == -1:
            continue
        col, row = int(x), int(y)  # int() truncates toward zero, as the official code does
        if 0 <= col < MAP_SIZE and 0 <= row < MAP_SIZE:
            out[i] = row * MAP_SIZE + col
    return out


def landmark_maps(source_points: np.ndarray, target_points: np.ndarray) -> torch.Tensor:
    """Source then target maps: [1, 2N, 256, 256] with a single 1 per valid point."""
    indices = np.concatenate([landmark_indices(source_points), landmark_indices(target_points)])
    maps = torch.zeros(len(indices), MAP_SIZE * MAP_SIZE)
    for channel, index in enumerate(indices):
        if index >= 0:
            maps[channel, index] = 1.0
    return maps.reshape(1, len(indices), MAP_SIZE, MAP_SIZE)
