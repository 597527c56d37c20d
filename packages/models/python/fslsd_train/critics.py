"""The frozen networks the losses look through: identity (ArcFace IR-SE-50), landmarks (H3R with
a soft-argmax) and a perceptual feature F (LPIPS's distance on a VGG-style stack). Each takes
images as the swap makes them ([B, 3, 1024, 1024] in [-1, 1]) and is differentiable with
respect to them; none is trained here.

The real ones need pretrained weights (ArcFace: TreB1eN's model_ir_se50.pth, as pSp loads it;
H3R: its LaPa model.pth); `stand_ins()` builds random ones at a small width for tests.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from fslsd_reference.h3r import IMAGENET_MEAN, IMAGENET_STD, FacialLandmarkDetector, build_random
from fslsd_reference.irse import BottleneckIRSE, ir_se_50_units
from fslsd_reference.width import Width

from .losses import soft_argmax


class ArcFace(nn.Module):
    """IR-SE-50 with TreB1eN's layout (input_layer, body, output_layer: the keys of
    model_ir_se50.pth), fed the way pSp's identity loss feeds it: pooled to 256², the face box
    [35:223, 32:220] cut out, pooled to 112². Returns unit-length 512-d embeddings."""

    def __init__(self, width: Width = Width(), drop_ratio: float = 0.6):
        super().__init__()
        self.input_layer = nn.Sequential(nn.Conv2d(3, width(64), 3, 1, 1, bias=False), nn.BatchNorm2d(width(64)), nn.PReLU(width(64)))
        self.body = nn.Sequential(*[BottleneckIRSE(u.in_channels, u.depth, u.stride) for u in ir_se_50_units(width)])
        self.output_layer = nn.Sequential(nn.BatchNorm2d(width(512)), nn.Dropout(drop_ratio), nn.Flatten(), nn.Linear(width(512) * 7 * 7, 512), nn.BatchNorm1d(512))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = F.adaptive_avg_pool2d(image, 256)[:, :, 35:223, 32:220]
        x = F.adaptive_avg_pool2d(x, 112)
        return F.normalize(self.output_layer(self.body(self.input_layer(x))), dim=1)


class Landmarks(nn.Module):
    """H3R on the image pooled to 256², decoded by soft-argmax: [B, 106, 2] in 256² crop pixels
    (the coordinates fslsd's front end and landmark maps use)."""

    def __init__(self, detector: FacialLandmarkDetector):
        super().__init__()
        self.detector = detector
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).reshape(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).reshape(1, 3, 1, 1))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = F.adaptive_avg_pool2d(image, 256)
        return soft_argmax(self.detector.heatmaps(((x + 1) * 0.5 - self.mean) / self.std))


class Perceptual(nn.Module):
    """LPIPS's distance (channel-normalised features, squared differences averaged over space,
    summed over layers) on a VGG-16-shaped stack at 256². LPIPS's learned per-channel weights
    are not used (weight 1 each); with ImageNet VGG-16 weights loaded this is LPIPS-VGG without
    its calibration layer."""

    STAGES = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))

    def __init__(self, width: Width = Width()):
        super().__init__()
        stages, channels = [], 3
        for index, (depth, count) in enumerate(self.STAGES):
            layers = [nn.MaxPool2d(2)] if index else []
            for _ in range(count):
                layers += [nn.Conv2d(channels, width(depth), 3, padding=1), nn.ReLU()]
                channels = width(depth)
            stages.append(nn.Sequential(*layers))
        self.stages = nn.ModuleList(stages)

    def features(self, image: torch.Tensor) -> list:
        x, out = F.adaptive_avg_pool2d(image, 256), []
        for stage in self.stages:
            x = stage(x)
            out.append(x / (x.norm(dim=1, keepdim=True) + 1e-10))
        return out

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Per-batch mean distance."""
        return sum((fa - fb).square().sum(dim=1).mean() for fa, fb in zip(self.features(a), self.features(b)))


@dataclass
class Critics:
    identity: ArcFace
    landmarks: Landmarks
    perceptual: Perceptual

    def to(self, device) -> "Critics":
        for module in (self.identity, self.landmarks, self.perceptual):
            module.to(device)
        return self

    def frozen(self) -> "Critics":
        for module in (self.identity, self.landmarks, self.perceptual):
            module.eval().requires_grad_(False)
        return self


def stand_ins(seed: int = 0, width: float = 1 / 16) -> Critics:
    """Random critics at a small width: the trainer's tests run with no pretrained weights."""
    torch.manual_seed(seed)
    return Critics(identity=ArcFace(Width(width)), landmarks=Landmarks(build_random(seed, 2 * width)), perceptual=Perceptual(Width(width))).frozen()
