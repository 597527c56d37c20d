"""The discriminator of L_adv: StyleGAN2's residual discriminator (rosinality's layout, the one
FSLSD's generator comes from), at any width. The paper names no architecture; the released code
ships a compiled `multiScaleDiscriminator` whose source is not public, so this is the documented
StyleGAN2 choice, with its non-saturating loss and R1 penalty (losses.py)."""
from __future__ import annotations

import math

import torch
from torch import nn

from fslsd_reference.layers import ConvLayer, EqualLinear
from fslsd_reference.stylegan2 import generator_channels
from fslsd_reference.width import Width


class ResBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = ConvLayer(in_channels, in_channels, 3)
        self.conv2 = ConvLayer(in_channels, out_channels, 3, downsample=True)
        self.skip = ConvLayer(in_channels, out_channels, 1, downsample=True, activate=False, bias=False)

    def forward(self, x):
        return (self.conv2(self.conv1(x)) + self.skip(x)) / math.sqrt(2)


class Discriminator(nn.Module):
    """[B, 3, size, size] in [-1, 1] -> [B, 1] logits."""

    def __init__(self, size: int = 1024, width: Width = Width(), stddev_group: int = 4):
        super().__init__()
        channels = generator_channels(width)
        blocks = [ConvLayer(3, channels[size], 1)]
        resolution = size
        while resolution > 4:
            blocks.append(ResBlock(channels[resolution], channels[resolution // 2]))
            resolution //= 2
        self.convs = nn.Sequential(*blocks)
        self.stddev_group = stddev_group
        self.final_conv = ConvLayer(channels[4] + 1, channels[4], 3)
        self.final_linear = nn.Sequential(EqualLinear(channels[4] * 16, channels[4], activation=True), EqualLinear(channels[4], 1))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        out = self.convs(image)
        # Minibatch standard deviation: one feature map, over groups of up to stddev_group samples.
        batch, channels, height, width = out.shape
        group = min(batch, self.stddev_group)
        while batch % group:
            group -= 1
        spread = out.reshape(group, -1, 1, channels, height, width)
        spread = torch.sqrt(spread.var(0, unbiased=False) + 1e-8).mean(dim=(2, 3, 4), keepdim=True).squeeze(2)
        spread = spread.repeat(group, 1, height, width)
        out = self.final_conv(torch.cat([out, spread], dim=1))
        return self.final_linear(out.reshape(batch, -1))
