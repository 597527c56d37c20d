"""IR-SE-50 backbone pieces (ArcFace-style residual units with squeeze-excitation), as pSp uses them."""

from collections import namedtuple

import torch
from torch import nn
from torch.nn import functional as F

from .width import Width

Unit = namedtuple("Unit", ["in_channels", "depth", "stride"])


def ir_se_50_units(width: Width):
    stages = [(64, 64, 3), (64, 128, 4), (128, 256, 14), (256, 512, 3)]
    units = []
    for in_channels, depth, count in stages:
        units.append(Unit(width(in_channels), width(depth), 2))
        units.extend(Unit(width(depth), width(depth), 1) for _ in range(count - 1))
    return units


class SEModule(nn.Module):
    def __init__(self, channels, reduction=16):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, hidden, kernel_size=1, padding=0, bias=False)
        self.relu = nn.ReLU()
        self.fc2 = nn.Conv2d(hidden, channels, kernel_size=1, padding=0, bias=False)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        gate = self.sigmoid(self.fc2(self.relu(self.fc1(self.avg_pool(x)))))
        return x * gate


class BottleneckIRSE(nn.Module):
    def __init__(self, in_channels, depth, stride):
        super().__init__()
        if in_channels == depth:
            self.shortcut_layer = nn.MaxPool2d(1, stride)
        else:
            self.shortcut_layer = nn.Sequential(
                nn.Conv2d(in_channels, depth, (1, 1), stride, bias=False),
                nn.BatchNorm2d(depth),
            )
        self.res_layer = nn.Sequential(
            nn.BatchNorm2d(in_channels),
            nn.Conv2d(in_channels, depth, (3, 3), (1, 1), 1, bias=False),
            nn.PReLU(depth),
            nn.Conv2d(depth, depth, (3, 3), stride, 1, bias=False),
            nn.BatchNorm2d(depth),
            SEModule(depth, 16),
        )

    def forward(self, x):
        return self.res_layer(x) + self.shortcut_layer(x)


def upsample_add(x, lateral):
    """Bilinear (align_corners=True) upsampling of x to the lateral map's size, plus the lateral map."""
    return F.interpolate(x, size=lateral.shape[2:], mode="bilinear", align_corners=True) + lateral
