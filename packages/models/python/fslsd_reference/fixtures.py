"""Parity fixtures: what the PyTorch reference computes for fixed inputs.

    python3 -m fslsd_reference.fixtures --samples DIR --out DIR [--seed 1 --width 0.0625 --weights float16]

Writes ``parity.json`` (inputs named, outputs as base64 little-endian float32) and
``parity-mask.png`` (the target's inner-face mask, 8-bit). The networks are rebuilt from the
same seed/width as the exported set, so the fixtures describe exactly those ONNX files.
Large outputs (1024^2 images) are stored as a strided sample plus a dense centre patch and
whole-tensor statistics, to keep the repository small.
"""

import argparse
import base64
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

from .decoder import mask_pyramid
from .export import build_reference
from .fuse import SPLITS, fuse
from .preprocess import image_to_tensor, landmark_maps, psp_input

SAMPLE_STRIDE = 8
SAMPLE_OFFSET = 3
# y_f of the first case is sampled four times as densely (every 4th row and column), since it is
# the pipeline's product; the other 1024^2 outputs keep every 8th.
IMAGE_STRIDE = 4
IMAGE_OFFSET = 1
PATCH = (480, 544)
SOURCE = "astronaut.png"
TARGET = "hopper.png"


def encode(array) -> dict:
    values = np.ascontiguousarray(np.asarray(array, dtype="<f4"))
    return {"shape": list(values.shape), "data": base64.b64encode(values.tobytes()).decode("ascii")}


def summarize(tensor: torch.Tensor, stride: int = SAMPLE_STRIDE, offset: int = SAMPLE_OFFSET) -> dict:
    """A 1024^2 output as: strided sample, dense centre patch, and statistics over every value
    (including how many values sit exactly on the clamp's bounds, so a missing clamp shows)."""
    x = tensor[0].numpy().astype(np.float64)
    lo, hi = PATCH
    return {
        "sample": {"offset": offset, "stride": stride, **encode(x[:, offset::stride, offset::stride])},
        "patch": {"rows": [lo, hi], "cols": [lo, hi], **encode(x[:, lo:hi, lo:hi])},
        "stats": {"mean": float(x.mean()), "meanAbs": float(np.abs(x).mean()), "min": float(x.min()), "max": float(x.max()),
                  "atUpper": int((x >= 1.0).sum()), "atLower": int((x <= -1.0).sum())},
    }


def inner_mask(size: int = 1024) -> np.ndarray:
    """A feathered ellipse over the inner face of an FFHQ-aligned crop, as 8-bit values."""
    centre_x, centre_y, axis_x, axis_y = 0.5 * size, 0.55 * size, 0.3 * size, 0.38 * size
    coords = np.arange(size, dtype=np.float64) + 0.5
    dx = (coords[None, :] - centre_x) / axis_x
    dy = (coords[:, None] - centre_y) / axis_y
    radius = np.sqrt(dx * dx + dy * dy)
    return np.round(np.clip(0.5 + (1.0 - radius) * 10.0, 0.0, 1.0) * 255.0).astype(np.uint8)


def test_landmarks(seed: int) -> list:
    """106 points per face exercising the official map rules: in range, -1, negative, beyond 256."""
    rng = np.random.RandomState(seed)
    faces = []
    for face in range(2):
        points = rng.uniform(0.0, 256.0, size=(106, 2))
        points[3] = [-1.0, 40.0]     # skipped: x == -1
        points[4] = [100.0, -1.0]    # skipped: y == -1
        points[5] = [-0.5, 17.25]    # int(-0.5) == 0: sets column 0
        points[6] = [255.999, 0.0]   # last column, first row
        points[7] = [256.0, 12.0]    # outside: sets nothing
        points[8] = [30.0, -3.0]     # outside: sets nothing
        points[9 + face] = points[20 + face]  # two points on one pixel in different channels
        faces.append(np.round(points, 4).tolist())
    return faces


def load_rgb(path: str) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def compute(networks, source_rgb, target_rgb, mask_u8, source_points, target_points, strength=1.0):
    torch.set_grad_enabled(False)
    source = image_to_tensor(source_rgb)
    target = image_to_tensor(target_rgb)
    source_small, target_small = psp_input(source_rgb), psp_input(target_rgb)
    source_wplus = networks.psp_encoder(source_small)
    target_wplus = networks.psp_encoder(target_small)
    maps = landmark_maps(np.asarray(source_points), np.asarray(target_points))
    direction = networks.landmark_encoder(maps)
    fused = {name: fuse(source_wplus, target_wplus, direction, split, strength) for name, split in SPLITS.items()}
    latent = networks.latent_editor(fused["official"])
    side_output, source_features = networks.generator(latent)
    target_features = networks.target_encoder(target)
    mask = torch.from_numpy(mask_u8.astype(np.float32) / 255.0)[None, None]
    raw = networks.decoder(source_features, target_features, mask)
    pyramid = mask_pyramid(mask, [f.shape[2] for f in source_features])
    return {
        "sourceSmall": source_small, "sourceWPlus": source_wplus, "targetWPlus": target_wplus,
        "direction": direction, "fused": fused, "latent": latent, "sideOutput": side_output,
        "image": raw.clamp(-1.0, 1.0), "maskPyramid": pyramid, "maps": maps,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m fslsd_reference.fixtures", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", required=True, help=f"folder holding {SOURCE} and {TARGET} (1024^2 aligned crops)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--width", type=float, default=0.0625)
    parser.add_argument("--weights", choices=["float32", "float16"], default="float16")
    args = parser.parse_args(argv)
    networks = build_reference(args.seed, args.width, args.weights)
    os.makedirs(args.out, exist_ok=True)
    mask_u8 = inner_mask()
    mask_path = os.path.join(args.out, "parity-mask.png")
    Image.fromarray(mask_u8, mode="L").save(mask_path + ".partial.png")
    os.replace(mask_path + ".partial.png", mask_path)
    source_points, target_points = test_landmarks(seed=7)
    result = compute(networks, load_rgb(os.path.join(args.samples, SOURCE)), load_rgb(os.path.join(args.samples, TARGET)),
                     mask_u8, source_points, target_points)
    # The second case is the method as published, reached with no options at all: the TypeScript
    # test calls swap(source, target) with nothing else and encodeTarget without a mask, so the
    # default split (official), strength (1) and mask (the ellipse) all have to be the reference's.
    # Same target crop and target landmarks as the first case, another source face and source
    # landmarks: the two cases' directions and images differ only through the source.
    second_points = test_landmarks(seed=8)[0]
    defaults = compute(networks, load_rgb(os.path.join(args.samples, TARGET)), load_rgb(os.path.join(args.samples, TARGET)),
                       inner_mask(), second_points, target_points)
    maps = result["maps"][0].reshape(212, -1)
    lit = [[int(i) for i in torch.nonzero(channel).flatten()] for channel in maps]
    fixture = {
        "about": "Outputs of the PyTorch reference (packages/models/python) for the inputs named here.",
        "reference": {"seed": args.seed, "width": args.width, "weights": args.weights, "torch": torch.__version__},
        "inputs": {"source": SOURCE, "target": TARGET, "mask": "parity-mask.png", "split": "official", "strength": 1.0,
                   "sourceLandmarks": source_points, "targetLandmarks": target_points},
        "outputs": {
            "landmarkPixels": lit,
            "sourceSmall": summarize_small(result["sourceSmall"]),
            "sourceWPlus": encode(result["sourceWPlus"][0]),
            "targetWPlus": encode(result["targetWPlus"][0]),
            "direction": encode(result["direction"][0]),
            "fused": {name: encode(value[0]) for name, value in result["fused"].items()},
            "latent": encode(result["latent"][0]),
            "sideOutput": summarize(result["sideOutput"]),
            "image": summarize(result["image"], IMAGE_STRIDE, IMAGE_OFFSET),
            "maskPyramid": [encode(m[0, 0]) if m.shape[2] <= 64 else {"size": m.shape[2], "sample": encode(m[0, 0, SAMPLE_OFFSET::SAMPLE_STRIDE, SAMPLE_OFFSET::SAMPLE_STRIDE])}
                            for m in result["maskPyramid"]],
        },
        "defaults": {
            "about": "swap(source, target) with no options; encodeTarget without a mask: split official, strength 1, "
                     "the default ellipse mask (the released configuration)",
            "inputs": {"source": TARGET, "target": TARGET, "sourceLandmarks": second_points, "targetLandmarks": target_points},
            "outputs": {
                "sourceWPlus": encode(defaults["sourceWPlus"][0]),
                "direction": encode(defaults["direction"][0]),
                "latent": encode(defaults["latent"][0]),
                "sideOutput": summarize(defaults["sideOutput"]),
                "image": summarize(defaults["image"]),
            },
        },
    }
    path = os.path.join(args.out, "parity.json")
    with open(path + ".partial", "w") as handle:
        json.dump(fixture, handle, indent=1)
        handle.write("\n")
    os.replace(path + ".partial", path)
    print(path)
    return 0


def summarize_small(tensor: torch.Tensor) -> dict:
    x = tensor[0].numpy()
    return {"sample": {"offset": 1, "stride": 4, **encode(x[:, 1::4, 1::4])}, "stats": {"mean": float(x.astype(np.float64).mean())}}


if __name__ == "__main__":
    sys.exit(main())
