"""The FSLSD objective's building blocks (paper section 3.4), each differentiable where the
paper back-propagates through it.

- soft_argmax: landmarks from heatmap logits by an expectation over every cell, so L_lmk has a
  gradient with respect to the image (H3R's own decoder averages only its top-k cells, whose
  positions carry no gradient).
- histogram_match: BeautyGAN's per-channel histogram matching inside a region, the target of the
  style loss L_st; a fixed target (no gradient), as in BeautyGAN.
- the loss terms and their weighted sum, with the paper's weights as defaults.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def soft_argmax(heatmap: torch.Tensor, stride: float = 4.0) -> torch.Tensor:
    """[N, C, H, W] logits -> [N, C, 2] (x, y) in input pixels: the softmax-weighted mean of
    every cell's index times ``stride``, the convention of H3R's decoder (cell (0, 0) -> (0, 0))."""
    n, c, h, w = heatmap.shape
    weights = F.softmax(heatmap.reshape(n, c, h * w), dim=-1).reshape(n, c, h, w)
    columns = torch.arange(w, dtype=heatmap.dtype, device=heatmap.device)
    rows = torch.arange(h, dtype=heatmap.dtype, device=heatmap.device)
    x = (weights.sum(dim=2) * columns).sum(dim=-1)
    y = (weights.sum(dim=3) * rows).sum(dim=-1)
    return stride * torch.stack([x, y], dim=-1)


def _cdf(values: torch.Tensor) -> torch.Tensor:
    """Cumulative histogram (256 bins over [0, 256)) of integer-valued pixels, normalised to 1."""
    histogram = torch.bincount(values.long().clamp(0, 255), minlength=256).to(torch.float64)
    return torch.cumsum(histogram / histogram.sum(), dim=0)


def _transfer_table(cdf_source: torch.Tensor, cdf_reference: torch.Tensor) -> torch.Tensor:
    """BeautyGAN's table: value i becomes the smallest j >= 1 with
    cdf_reference[j - 1] <= cdf_source[i] <= cdf_reference[j]; i itself when none; 255 stays 255."""
    j = torch.searchsorted(cdf_reference[1:].contiguous(), cdf_source, right=False) + 1
    found = (cdf_source >= cdf_reference[0]) & (j <= 255)
    table = torch.where(found, j, torch.arange(256, device=cdf_source.device))
    table[255] = 255
    return table


def histogram_match(image: torch.Tensor, reference: torch.Tensor, image_mask: torch.Tensor, reference_mask: torch.Tensor) -> torch.Tensor:
    """Histogram-matches ``image`` to ``reference`` inside their masks, per channel (BeautyGAN).

    image, reference: [3, H, W] in [-1, 1]; masks: [H, W] booleans (the inner-face regions, which
    may differ in place and size). Returns [3, H, W] in [-1, 1], equal to ``image`` outside its mask,
    detached: the target of L_st, not a path for gradients. A mask with no pixel leaves the image.
    """
    out = image.detach().clone()
    if not bool(image_mask.any()) or not bool(reference_mask.any()):
        return out
    # BeautyGAN works on 0..255 levels. Its code truncates (int()); rounding here, because an 8-bit
    # level that went through [-1, 1] comes back as 39.99999 as often as 40.00001.
    source = ((image.detach() + 1) * 127.5).clamp(0, 255).round()
    target = ((reference.detach() + 1) * 127.5).clamp(0, 255).round()
    for channel in range(image.shape[0]):
        inside = source[channel][image_mask]
        table = _transfer_table(_cdf(inside), _cdf(target[channel][reference_mask]))
        out[channel][image_mask] = table[inside.long()].to(image.dtype) / 127.5 - 1
    return out


def landmark_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """||E_lmk(y) - E_lmk(x_t)||_2 per sample (over all points and both axes), batch mean."""
    return (predicted - target).flatten(1).norm(dim=1).mean()


def l2(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The paper's ||a - b||_2 on images and features: mean squared error (as pSp's and
    MegaFS's code use for their L2 terms)."""
    return F.mse_loss(a, b)


def identity_loss(embedding: torch.Tensor, source_embedding: torch.Tensor) -> torch.Tensor:
    """1 - cosine similarity of identity embeddings, batch mean."""
    return (1 - F.cosine_similarity(embedding, source_embedding, dim=1)).mean()


def generator_adversarial_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss: softplus(-D(y_f))."""
    return F.softplus(-fake_logits).mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating discriminator loss: softplus(-D(x)) + softplus(D(y_f))."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def r1_penalty(real_logits: torch.Tensor, real_images: torch.Tensor) -> torch.Tensor:
    """R1: the squared gradient norm of D at real images (real_images must require grad)."""
    (gradient,) = torch.autograd.grad(real_logits.sum(), real_images, create_graph=True)
    return gradient.pow(2).flatten(1).sum(1).mean()


@dataclass(frozen=True)
class LossWeights:
    """L_total = adv L_adv + id L_id + lmk L_lmk + rec L_rec + st L_st (the paper's weights);
    perceptual weighs F's term inside L_rec."""

    adv: float = 1.0
    id: float = 2.0
    lmk: float = 0.1
    rec: float = 2.0
    st: float = 0.2
    perceptual: float = 0.8
    r1: float = 10.0
    r1_every: int = 16
