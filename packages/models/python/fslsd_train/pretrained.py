"""The pretrained inputs of training, loaded strictly from their released files, or random
stand-ins at any width for tests (``--stand-ins``).

| input | file | key layout | licence |
|---|---|---|---|
| generator G | rosinality's stylegan2-ffhq-config-f.pt | g_ema | NVIDIA Source Code Licence (non-commercial) |
| identity critic | TreB1eN's model_ir_se50.pth (as pSp's README links it) | input_layer, body, output_layer | MIT |
| landmark critic | H3R LaPa hrnet18 model.pth | backbone, heatmap_head | MIT (its setup.py) |
| perceptual critic F | torchvision's vgg16-397923af.pth | features.N | BSD-3 code; VGG weights CC BY 4.0 |
| latent editor | a CELEBA-HQ-1024.pt's bald_model (``--editor``), else the identity | dense.N | as that file's |

pSp is not loaded here: its W+ codes are in the dataset, computed by `fslsd dataset prepare`.
"""
from __future__ import annotations

import torch
from torch import nn

from fslsd_reference.h3r import load_h3r_checkpoint
from fslsd_reference.networks import Networks, build_networks, load_fslsd_checkpoint, strip_module_prefix
from fslsd_reference.width import Width

from .critics import ArcFace, Critics, Landmarks, Perceptual


def load(path: str) -> dict:
    # weights_only: a checkpoint is data; one that calls code is refused (torch >= 1.13).
    return torch.load(path, map_location="cpu", weights_only=True)


def swap_networks(width: float, seed: int, stylegan2: str | None = None, editor: str | None = None, init: str | None = None) -> Networks:
    """The six networks at ``width``: random encoders and decoder (seed), G from ``stylegan2``,
    the editor from ``editor`` or the identity (zero weights: out = w), or everything from
    ``init`` (a CELEBA-HQ-1024.pt to fine-tune)."""
    torch.manual_seed(seed)
    networks = build_networks(Width(width))
    with torch.no_grad():
        for layer in networks.latent_editor.dense:
            layer.weight.zero_()
            layer.bias.zero_()
    if stylegan2:
        checkpoint = load(stylegan2)
        networks.generator.load_state_dict(strip_module_prefix(checkpoint.get("g_ema", checkpoint)), strict=True)
    if editor:
        checkpoint = load(editor)
        networks.latent_editor.load_state_dict(strip_module_prefix(checkpoint.get("bald_model", checkpoint)), strict=True)
    if init:
        load_fslsd_checkpoint(networks, load(init))
    return networks


def load_vgg16(perceptual: Perceptual, state: dict) -> None:
    """torchvision's VGG-16 ``features.N`` convolutions, in order, into the perceptual stack."""
    ours = [m for m in perceptual.modules() if isinstance(m, nn.Conv2d)]
    keys = sorted({int(k.split(".")[1]) for k in state if k.startswith("features.") and k.endswith(".weight")})
    if len(keys) != len(ours):
        raise ValueError(f"expected torchvision's VGG-16 (13 convolutions in features.*), found {len(keys)}")
    with torch.no_grad():
        for conv, index in zip(ours, keys):
            conv.weight.copy_(state[f"features.{index}.weight"])
            conv.bias.copy_(state[f"features.{index}.bias"])


def critics(arcface: str | None, h3r: str | None, vgg: str | None, stand_ins: bool, width: float, seed: int,
            perceptual_needed: bool = True) -> Critics:
    """The three critics from their files; ``perceptual_needed`` False (evaluation) leaves F random."""
    if stand_ins:
        from .critics import stand_ins as random_critics
        return random_critics(seed, width)
    needed = (("--arcface", arcface), ("--h3r", h3r)) + ((("--vgg", vgg),) if perceptual_needed else ())
    missing = [flag for flag, path in needed if not path]
    if missing:
        raise ValueError(f"the losses need {', '.join(missing)} (pretrained critics; see python/README.md), "
                         "or --stand-ins for random ones (tests only: nothing useful is learned)")
    identity = ArcFace(Width(1.0))
    identity.load_state_dict(strip_module_prefix(load(arcface)), strict=True)
    perceptual = Perceptual(Width(1.0))
    if vgg:
        load_vgg16(perceptual, load(vgg))
    return Critics(identity=identity, landmarks=Landmarks(load_h3r_checkpoint(load(h3r))), perceptual=perceptual).frozen()

