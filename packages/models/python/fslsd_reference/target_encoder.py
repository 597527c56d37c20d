"""E_t: GPEN-style encoder of the 1024^2 target image into 8 feature maps (8^2 .. 1024^2).

The official model is built as ``GPENEncoder(512)`` (channel multiplier 1) and fed 1024^2
images: its channel table is indexed by the 512 'size', which is why its feature shapes line
up with the generator's (32 channels at 1024^2 ... 512 at 8^2).
"""

import math

from torch import nn

from .layers import ConvLayer
from .width import Width


def target_channels(width: Width) -> dict:
    base = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256, 128: 128, 256: 64, 512: 32, 1024: 16}
    return {size: width(ch) for size, ch in base.items()}


class GPENEncoder(nn.Module):
    def __init__(self, size: int = 512, width: Width = Width()):
        super().__init__()
        channels = target_channels(width)
        self.log_size = int(math.log2(size))
        self.encoder = nn.ModuleList([nn.Sequential(ConvLayer(3, channels[size], 1))])
        in_channels = channels[size]
        for level in range(self.log_size, 2, -1):
            out_channels = channels[2 ** (level - 1)]
            self.encoder.append(nn.Sequential(ConvLayer(in_channels, out_channels, 3, downsample=True)))
            in_channels = out_channels

    def forward(self, image):
        features = []
        x = image
        for layer in self.encoder[: self.log_size - 1]:
            x = layer(x)
            features.append(x)
        return features[::-1]
