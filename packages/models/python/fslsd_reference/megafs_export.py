"""Export MegaFS to ONNX with a manifest, and its parity fixtures.

Released weights (non-commercial: CC BY-NC 4.0 for MegaFS, NVIDIA's licence for StyleGAN2):
    python3 -m fslsd_reference.megafs_export --megafs-checkpoint ftm_final.pth \\
        --stylegan2 stylegan2-ffhq-config-f.pt [--megafs-type ftm|injection|lcr] --out DIR
Deterministic random weights (same architecture, any width):
    python3 -m fslsd_reference.megafs_export --random-init --seed 1 --width 0.0625 [--megafs-type ftm] --out DIR
Parity fixtures for a random set (what the reference computes on the shipped sample crops):
    python3 -m fslsd_reference.megafs_export --fixtures DIR --seed 1 --width 0.0625 --weights float16

Three graphs, the dataflow of megafs.py:
    megafs-encoder    image [1,3,256,256] in [-1,1] -> codes [1,18,512], structure [1,C,4,4]
    megafs-transfer   source_codes, target_codes -> codes (0-3 the target's, 4-17 transferred)
    megafs-generator  structure, codes -> image [1,3,1024,1024] (raw; the pipeline min-max stretches it)
"""

import argparse
import base64
import json
import math
import os
import sys

import numpy as np
import torch
from PIL import Image
from torch import nn

from . import export
from .fixtures import encode, inner_mask, summarize
from .megafs import (TRANSFER_TYPES, MegaFSNetworks, build_megafs, compose, generate_from_structure, load_megafs_checkpoint,
                     load_stylegan2_checkpoint, postprocess, resize_to_input, to_input_tensor)
from .stylegan2 import NoiseInjection, ToRGB
from .layers import FusedLeakyReLU
from .width import Width

METHOD = "megafs"
FIXTURE = "megafs-parity.json"
SOURCE = "astronaut.png"
TARGET = "hopper.png"

LICENCE_RANDOM = export.LICENCE_RANDOM
LICENCE_MEGAFS = {
    "spdx": "CC-BY-NC-4.0",
    "note": "Converted from MegaFS's released {ftm,injection,lcr}_final.pth (zyainfal/One-Shot-Face-Swapping-on-Megapixels, "
            "CC BY-NC 4.0). Non-commercial use only; do not redistribute without the authors' permission.",
}
LICENCE_STYLEGAN2 = {
    "spdx": "LicenseRef-NVIDIA-Source-Code-License-NC",
    "note": "StyleGAN2 FFHQ config-f weights (NVIDIA, converted to PyTorch by rosinality/stylegan2-pytorch): NVIDIA Source "
            "Code License-NC, non-commercial use only.",
}
LICENCE_CONVERTED = {
    "spdx": "CC-BY-NC-4.0 AND LicenseRef-NVIDIA-Source-Code-License-NC",
    "note": "For non-commercial use only. The encoder and transfer module come from MegaFS's release (CC BY-NC 4.0); the "
            "generator from NVIDIA's StyleGAN2 FFHQ weights (NVIDIA Source Code License-NC). You must have obtained both "
            "yourself; do not redistribute.",
}

VALUE_RANGES = {("megafs-encoder", "image"): [-1, 1]}


def randomize_extras(networks: MegaFSNetworks, seed: int) -> None:
    """Random values for every tensor a fresh module initialises to zero or one (batch-norm
    statistics and affines, noise strengths, biases), so no stage is an identity in tests; and
    He-normal style-mapping convs, so codes depend on the face rather than on the biases."""
    fill = export.RandomFill(seed)
    normal = fill.normal

    with torch.no_grad():
        for _, network in networks.items():
            for module in network.modules():
                if isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d)):
                    fill.batch_norm(module)
                elif isinstance(module, NoiseInjection):
                    normal(module.weight, 0.1)
                elif isinstance(module, (FusedLeakyReLU, ToRGB)):
                    normal(module.bias, 0.1)
        for name, module in networks.encoder.named_modules():
            if name.startswith("mapping") and isinstance(module, nn.Conv2d):
                normal(module.weight, math.sqrt(2.0 / module.weight[0].numel()))


def build_reference(seed: int, width: float, storage: str, typ: str = "ftm") -> MegaFSNetworks:
    torch.manual_seed(seed)
    networks = build_megafs(typ, Width(width))
    randomize_extras(networks, seed)
    if storage == "float16":
        export.round_to_float16(networks)  # any object with items() of modules
    return networks


class EncoderGraph(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, image):
        codes, structure = self.encoder(image)
        return codes, structure


class GeneratorGraph(nn.Module):
    def __init__(self, generator):
        super().__init__()
        self.generator = generator

    def forward(self, structure, codes):
        return generate_from_structure(self.generator, structure, codes)


def graph_specs(networks: MegaFSNetworks):
    """(id, module, example inputs, input names, output names, what it is)."""
    with torch.no_grad():
        _, structure = networks.encoder(torch.zeros(1, 3, 256, 256))
    codes = torch.zeros(1, 18, 512)
    variant = networks.transfer.type
    # eval() on the wrappers too: torch.onnx.export restores each wrapper's own training flag
    # afterwards, which would put the batch norms of the module inside back into training mode.
    return [
        ("megafs-encoder", EncoderGraph(networks.encoder).eval(), (torch.zeros(1, 3, 256, 256),), ["image"], ["codes", "structure"],
         "MegaFS HieRFE (ResNet-50 + layer5, FPN, 18 style mappings, tanh): face 256^2 in [-1,1] -> W+ codes and the 4x4 structure f4"),
        ("megafs-transfer", networks.transfer.eval(), (codes, codes), ["source_codes", "target_codes"], ["codes"],
         f"MegaFS face transfer module ({variant}): codes 0-3 the target's, 4-17 transferred from the source"),
        ("megafs-generator", GeneratorGraph(networks.generator).eval(), (structure, codes), ["structure", "codes"], ["image"],
         "StyleGAN2-1024 with the 4x4 constant replaced by the target's structure f4: -> image (raw, not clamped)"),
    ]


def export_set(networks: MegaFSNetworks, out_dir: str, storage: str, set_name: str, licence: dict, provenance: dict,
               model_licences: dict = None, log=print) -> dict:
    os.makedirs(out_dir, exist_ok=True)
    entries = []
    for model_id, module, inputs, input_names, output_names, description in graph_specs(networks):
        path = os.path.join(out_dir, f"{model_id}.onnx")
        entry = export.export_graph(model_id, module, inputs, input_names, output_names, description, path, storage, log,
                                    fold_batch_norm=storage != "float16")
        for tensor in entry["inputs"]:
            if (model_id, tensor["name"]) in VALUE_RANGES:
                tensor["range"] = VALUE_RANGES[(model_id, tensor["name"])]
        if model_licences and model_id in model_licences:
            entry["licence"] = model_licences[model_id]
        entries.append(entry)
    manifest = {
        "format": export.FORMAT,
        "method": METHOD,
        "variant": networks.transfer.type,
        "set": set_name,
        "opset": export.OPSET,
        "weightStorage": storage,
        "licence": licence,
        "provenance": provenance,
        "models": entries,
    }
    export.write_json(os.path.join(out_dir, "manifest.json"), manifest)
    return manifest


def encode_bytes(array: np.ndarray) -> dict:
    values = np.ascontiguousarray(array, dtype=np.uint8)
    return {"shape": list(values.shape), "dtype": "uint8", "data": base64.b64encode(values.tobytes()).decode("ascii")}


def load_rgb(path: str) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def fixtures(samples: str, out_dir: str, seed: int, width: float, storage: str, typ: str = "ftm") -> dict:
    """megafs-parity.json: the sample crops through the reference, every intermediate that the
    TypeScript pipeline computes or receives."""
    torch.set_grad_enabled(False)
    networks = build_reference(seed, width, storage, typ)
    source_rgb, target_rgb = load_rgb(os.path.join(samples, SOURCE)), load_rgb(os.path.join(samples, TARGET))
    source_small, target_small = resize_to_input(source_rgb), resize_to_input(target_rgb)
    result = networks.swap(to_input_tensor(source_small), to_input_tensor(target_small))
    pixels = postprocess(result["image"])
    # The composition with the FSLSD fixtures' inner-face mask standing in for the parsing mask.
    mask = torch.from_numpy(inner_mask().astype(np.float32) / 255.0)
    target_pixels = torch.from_numpy(target_rgb.transpose(2, 0, 1).astype(np.float32)).unsqueeze(0)
    composed = compose(pixels, target_pixels, mask.view(1, 1, *mask.shape))
    # The released refine pass (inference.py run(), refine=True): the blended swap, truncated to
    # 8 bits, reduced to 256², re-encoded and regenerated without the transfer, blended again.
    swapped_rgb = composed["blended"][0].numpy().transpose(1, 2, 0).astype(np.uint8)
    refined_pixels = postprocess(networks.refine(to_input_tensor(resize_to_input(swapped_rgb))))
    refined = compose(refined_pixels, target_pixels, mask.view(1, 1, *mask.shape))
    fixture = {
        "method": METHOD,
        "variant": typ,
        "seed": seed,
        "width": width,
        "weights": storage,
        "inputs": {"source": SOURCE, "target": TARGET, "mask": "parity-mask.png"},
        # The 256^2 network inputs as bytes (cv2's INTER_LINEAR 4x reduction, see megafs.resize_to_input).
        "sourceInput": encode_bytes(source_small),
        "targetInput": encode_bytes(target_small),
        "outputs": {
            "sourceCodes": encode(result["source_codes"][0]),
            "targetCodes": encode(result["target_codes"][0]),
            "structure": encode(result["structure"][0]),
            "codes": encode(result["codes"][0]),
            "image": summarize(result["image"]),
            # The min-max stretch to [0, 255] is defined by these two values of the raw image.
            "pixels": {"min": float(result["image"].min()), "max": float(result["image"].max()), "mean": float(pixels.double().mean())},
            "soft": summarize(composed["soft"]),
            "blended": summarize(composed["blended"]),
            "refinedBlended": summarize(refined["blended"]),
        },
    }
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, FIXTURE)
    with open(path + ".partial", "w") as handle:
        json.dump(fixture, handle)
        handle.write("\n")
    os.replace(path + ".partial", path)
    return fixture


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m fslsd_reference.megafs_export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="output directory (ONNX files + manifest.json)")
    parser.add_argument("--megafs-checkpoint", metavar="PTH", help="MegaFS's {ftm,injection,lcr}_final.pth ('e' and 's')")
    parser.add_argument("--stylegan2", metavar="PT", help="rosinality's stylegan2-ffhq-config-f.pt ('g_ema')")
    parser.add_argument("--megafs-type", choices=TRANSFER_TYPES, default=None,
                        help="the transfer module of the checkpoint (default: from its file name, else ftm)")
    parser.add_argument("--random-init", action="store_true", help="deterministic random weights instead of checkpoints")
    parser.add_argument("--fixtures", metavar="DIR", help="write megafs-parity.json for the random set of --seed/--width/--weights")
    parser.add_argument("--samples", default=os.path.join(os.path.dirname(__file__), "..", "..", "assets", "samples"),
                        help="folder with the 1024^2 sample crops (for --fixtures)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--width", type=float, default=1.0, help="channel width multiplier for --random-init (1 = released)")
    parser.add_argument("--weights", choices=["float32", "float16"], default="float32")
    parser.add_argument("--set-name", default=None)
    args = parser.parse_args(argv)
    torch.set_grad_enabled(False)
    if not (0 < args.width <= 1) or not math.isfinite(args.width):
        parser.error("--width must be in (0, 1]")
    typ = args.megafs_type
    if typ is None:
        named = os.path.basename(args.megafs_checkpoint or "").split("_")[0]
        typ = named if named in TRANSFER_TYPES else "ftm"
    if args.fixtures:
        fixtures(args.samples, args.fixtures, args.seed, args.width, args.weights, typ)
        print(os.path.join(args.fixtures, FIXTURE))
        if not args.out:
            return 0
    if not args.out:
        parser.error("--out is required (or only --fixtures)")
    model_licences = None
    if args.random_init:
        if args.megafs_checkpoint or args.stylegan2:
            parser.error("--random-init excludes --megafs-checkpoint/--stylegan2")
        networks = build_reference(args.seed, args.width, args.weights, typ)
        licence = LICENCE_RANDOM
        provenance = {"kind": "random-init", "seed": args.seed, "width": args.width, "torch": torch.__version__}
        set_name = args.set_name or f"megafs-{typ}-random-w{args.width:g}-s{args.seed}"
    else:
        if not (args.megafs_checkpoint and args.stylegan2):
            parser.error("give --megafs-checkpoint and --stylegan2, or --random-init")
        for flag, path in (("--megafs-checkpoint", args.megafs_checkpoint), ("--stylegan2", args.stylegan2)):
            if not os.path.isfile(path):
                parser.error(f"{flag} {path}: no such file")
        if args.weights == "float32":
            # Fill the shipped architecture graphs: byte for byte what `fslsd models import` writes.
            from . import architecture
            try:
                architecture.fill([os.path.join(architecture.SHIPPED, f"megafs-{typ}")], {"megafs": args.megafs_checkpoint, "stylegan2": args.stylegan2},
                                  args.out, set_name=args.set_name or f"megafs-{typ}", log=lambda m: print(m, file=sys.stderr))
            except architecture.CheckpointError as error:
                parser.error(f"{error} (is --megafs-type {typ} the checkpoint's variant?)")
            print(os.path.join(args.out, "manifest.json"))
            return 0
        networks = build_megafs(typ)
        try:
            load_megafs_checkpoint(networks, torch.load(args.megafs_checkpoint, map_location="cpu"))
            load_stylegan2_checkpoint(networks.generator, torch.load(args.stylegan2, map_location="cpu"))
        except (KeyError, RuntimeError) as error:
            parser.error(f"{error} (is --megafs-type {typ} the checkpoint's variant?)")
        if args.weights == "float16":
            export.round_to_float16(networks)
        licence = LICENCE_CONVERTED
        model_licences = {"megafs-encoder": LICENCE_MEGAFS, "megafs-transfer": LICENCE_MEGAFS, "megafs-generator": LICENCE_STYLEGAN2}
        provenance = {"kind": "converted", "checkpoint": os.path.basename(args.megafs_checkpoint),
                      "stylegan2": os.path.basename(args.stylegan2), "torch": torch.__version__}
        set_name = args.set_name or f"megafs-{typ}"
    export_set(networks.eval(), args.out, args.weights, set_name, licence, provenance, model_licences, log=lambda m: print(m, file=sys.stderr))
    print(os.path.join(args.out, "manifest.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
