"""One training step's losses (paper eq. 9): L_total = L_adv + 2 L_id + 0.1 L_lmk + 2 L_rec + 0.2 L_st,
and the discriminator's (non-saturating, R1 every 16 steps).

Where the paper is silent, the choice is a flag:
- reconstruction ("self" by default): L_rec only on self-swaps (x_s and x_t the same photo),
  where y should equal x_t; "all" applies it to every pair, as the formula reads literally.
- L_id and L_lmk use both y_s and y_f (the paper's text for L_lmk; for L_id "y_f (and y_s)").
- L_st compares y_f with its histogram-matched self inside the target's inner-face mask.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from . import losses
from .critics import Critics
from .discriminator import Discriminator
from .losses import LossWeights
from .model import SwapModel


@dataclass
class Batch:
    """A batch of pairs as the trainer reads them from a prepared dataset."""

    source_wplus: torch.Tensor  # [B, 18, 512]
    target_wplus: torch.Tensor  # [B, 18, 512]
    maps: torch.Tensor  # [B, 212, 256, 256]: source then target landmark maps
    source: torch.Tensor  # [B, 3, 1024, 1024] in [-1, 1]
    target: torch.Tensor  # [B, 3, 1024, 1024] in [-1, 1]
    mask: torch.Tensor  # [B, 1, 1024, 1024] in [0, 1]: the target's inner face
    self_swap: torch.Tensor  # [B] booleans: x_s is x_t


def generator_losses(model: SwapModel, critics: Critics, discriminator: Discriminator, batch: Batch, weights: LossWeights = LossWeights(), reconstruction: str = "self",
                     keep_image: bool = False) -> dict:
    """Every term of the generator's objective and their weighted sum (`total`), for one batch;
    with `keep_image`, also y_f (`image`) for the discriminator's step."""
    if reconstruction not in ("self", "all"):
        raise ValueError(f"reconstruction must be 'self' or 'all', not {reconstruction!r}")
    side, image = model(batch.source_wplus, batch.target_wplus, batch.maps, batch.target, batch.mask)
    terms = {"adv": losses.generator_adversarial_loss(discriminator(image))}
    with torch.no_grad():
        source_identity = critics.identity(batch.source)
        target_points = critics.landmarks(batch.target)
    terms["id"] = losses.identity_loss(critics.identity(image), source_identity) + losses.identity_loss(critics.identity(side), source_identity)
    terms["lmk"] = losses.landmark_loss(critics.landmarks(side), target_points) + losses.landmark_loss(critics.landmarks(image), target_points)
    chosen = batch.self_swap if reconstruction == "self" else torch.ones_like(batch.self_swap)
    if bool(chosen.any()):
        y, x = (image[chosen], side[chosen]), batch.target[chosen]
        terms["rec"] = sum(losses.l2(out, x) + weights.perceptual * critics.perceptual(out, x) for out in y)
    else:
        terms["rec"] = image.new_zeros(())
    matched = torch.stack([losses.histogram_match(image[b], batch.target[b], batch.mask[b, 0] > 0.5, batch.mask[b, 0] > 0.5) for b in range(image.shape[0])])
    terms["st"] = losses.l2(image, matched)
    terms["total"] = weights.adv * terms["adv"] + weights.id * terms["id"] + weights.lmk * terms["lmk"] + weights.rec * terms["rec"] + weights.st * terms["st"]
    if keep_image:
        terms["image"] = image
    return terms


def discriminator_losses(discriminator: Discriminator, real: torch.Tensor, fake: torch.Tensor, step: int, weights: LossWeights = LossWeights()) -> dict:
    """Non-saturating loss on real x_t and detached y_f; every `r1_every` steps the R1 penalty,
    scaled by r1 / 2 * r1_every as lazy regularisation does (StyleGAN2)."""
    terms = {"d": losses.discriminator_loss(discriminator(real), discriminator(fake.detach()))}
    terms["total"] = terms["d"]
    if weights.r1_every and step % weights.r1_every == 0:
        real = real.detach().requires_grad_(True)
        terms["r1"] = losses.r1_penalty(discriminator(real), real)
        terms["total"] = terms["total"] + weights.r1 / 2 * weights.r1_every * terms["r1"]
    return terms
