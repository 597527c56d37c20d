"""The swap as a differentiable module: what the trainer optimises.

From a pair's precomputed inputs (pSp's W+ of source and target, their 106-point landmark maps,
the target image and its inner-face mask) to the side output y_s (the generator's image of the
edited latent) and the final image y_f (the decoder blending generator and target features).

Trainable, as the paper says: the landmark encoder E_le, the target encoder E_t and the decoder.
The generator (a pretrained StyleGAN2) and the latent editor stay frozen unless asked; pSp never
runs here (its W+ codes are computed once, by `fslsd dataset prepare`).
"""
from __future__ import annotations

from typing import Iterator

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from fslsd_reference.fuse import SPLITS, fuse
from fslsd_reference.networks import Networks

TRAINABLE = ("landmark_encoder", "target_encoder", "decoder")


class SwapModel(nn.Module):
    def __init__(self, networks: Networks, split: str = "official", train_generator: bool = False, train_editor: bool = False):
        super().__init__()
        if split not in SPLITS:
            raise ValueError(f"split must be one of {sorted(SPLITS)}, not {split!r}")
        self.split = SPLITS[split]
        self.landmark_encoder = networks.landmark_encoder
        self.target_encoder = networks.target_encoder
        self.decoder = networks.decoder
        self.generator = networks.generator
        self.latent_editor = networks.latent_editor
        self.trained = TRAINABLE + (("generator",) if train_generator else ()) + (("latent_editor",) if train_editor else ())
        for name in ("generator", "latent_editor"):
            getattr(self, name).requires_grad_(name in self.trained)
        # The generator is fed W+ codes: its mapping network is never on the path.
        self.generator.style.requires_grad_(False)

    def trainable_parameters(self) -> Iterator[nn.Parameter]:
        for name in self.trained:
            yield from (parameter for parameter in getattr(self, name).parameters() if parameter.requires_grad)

    def train(self, mode: bool = True):
        # Frozen networks stay in eval mode (their batch-norm statistics are the pretrained ones).
        super().train(mode)
        for name in ("generator", "latent_editor"):
            if name not in self.trained:
                getattr(self, name).eval()
        return self

    def checkpoint_activations(self) -> "SwapModel":
        """Gradient checkpointing: each generator layer, target-encoder level and decoder stage
        keeps only its inputs and recomputes its activations during the backward pass. At 1024²
        those activations (the 512² and 1024² feature maps above all) are most of a step's memory;
        the price is one more forward of those layers. State-dict keys do not change."""
        layers = [self.generator.conv1, self.generator.to_rgb1, *self.generator.convs, *self.generator.to_rgbs,
                  *self.target_encoder.encoder, *self.decoder.decoder]
        for layer in layers:
            forward = layer.forward

            def recomputed(*args, forward=forward):
                if not torch.is_grad_enabled():
                    return forward(*args)
                return checkpoint(forward, *args, use_reentrant=False)

            layer.forward = recomputed
        return self

    def swap(self, batch) -> tuple:
        """(y_s, y_f) for a dataset Batch (step.py), moved to this model's device."""
        device = next(self.parameters()).device
        return self(batch.source_wplus.to(device), batch.target_wplus.to(device), batch.maps.to(device), batch.target.to(device),
                    batch.mask.to(device))

    def forward(self, source_wplus: torch.Tensor, target_wplus: torch.Tensor, maps: torch.Tensor, target: torch.Tensor, mask: torch.Tensor):
        """[B,18,512] x2, maps [B,212,256,256], target [B,3,1024,1024] in [-1,1], mask [B,1,1024,1024]
        in [0,1] -> (y_s, y_f), both [B,3,1024,1024], not clamped (the losses see what the decoder made)."""
        direction = self.landmark_encoder(maps)
        latent = self.latent_editor(fuse(source_wplus, target_wplus, direction, self.split))
        side_output, source_features = self.generator(latent)
        image = self.decoder(source_features, self.target_encoder(target), mask)
        return side_output, image
