"""pSp's GradualStyleEncoder (W+ inversion) and FSLSD's landmark encoder E_le.

Both share the IR-SE-50 body and the feature pyramid; E_le takes 212 landmark channels and
has only the 7 coarse/middle style heads, whose output is the landmark direction n (7x512).
"""

import math

import torch
from torch import nn

from .irse import BottleneckIRSE, ir_se_50_units, upsample_add
from .layers import EqualLinear
from .stylegan2 import STYLE_DIM
from .width import Width

COARSE_HEADS = 3
MIDDLE_HEADS = 7


class GradualStyleBlock(nn.Module):
    """Strided convs from a pyramid level down to 1x1, then an equalized linear layer to one style code."""

    def __init__(self, in_channels, hidden, spatial, out_dim=STYLE_DIM):
        super().__init__()
        self.hidden = hidden
        pools = int(math.log2(spatial))
        modules = [nn.Conv2d(in_channels, hidden, 3, 2, 1), nn.LeakyReLU()]
        for _ in range(pools - 1):
            modules += [nn.Conv2d(hidden, hidden, 3, 2, 1), nn.LeakyReLU()]
        self.convs = nn.Sequential(*modules)
        self.linear = EqualLinear(hidden, out_dim, lr_mul=1)

    def forward(self, x):
        return self.linear(self.convs(x).reshape(-1, self.hidden))


class PyramidEncoder(nn.Module):
    """IR-SE-50 body with style heads on the 16^2, 32^2 and (for full W+) 64^2 pyramid levels."""

    def __init__(self, in_channels: int, heads: int, width: Width, fine_level: bool):
        super().__init__()
        self.input_layer = nn.Sequential(
            nn.Conv2d(in_channels, width(64), (3, 3), 1, 1, bias=False),
            nn.BatchNorm2d(width(64)),
            nn.PReLU(width(64)),
        )
        self.body = nn.Sequential(*[BottleneckIRSE(u.in_channels, u.depth, u.stride) for u in ir_se_50_units(width)])
        self.styles = nn.ModuleList()
        top = width(512)
        for index in range(heads):
            spatial = 16 if index < COARSE_HEADS else 32 if index < MIDDLE_HEADS else 64
            self.styles.append(GradualStyleBlock(top, top, spatial))
        self.latlayer1 = nn.Conv2d(width(256), top, kernel_size=1, stride=1, padding=0)
        if fine_level:
            self.latlayer2 = nn.Conv2d(width(128), top, kernel_size=1, stride=1, padding=0)
        self.heads = heads

    def forward(self, x):
        x = self.input_layer(x)
        for index, unit in enumerate(self.body):
            x = unit(x)
            if index == 6:
                c1 = x
            elif index == 20:
                c2 = x
            elif index == 23:
                c3 = x
        codes = [self.styles[j](c3) for j in range(min(COARSE_HEADS, self.heads))]
        p2 = upsample_add(c3, self.latlayer1(c2))
        codes += [self.styles[j](p2) for j in range(COARSE_HEADS, min(MIDDLE_HEADS, self.heads))]
        if self.heads > MIDDLE_HEADS:
            p1 = upsample_add(p2, self.latlayer2(c1))
            codes += [self.styles[j](p1) for j in range(MIDDLE_HEADS, self.heads)]
        return stack_codes(codes)


def stack_codes(codes, group: int = 6):
    """torch.stack(codes, 1), built from Concats of at most `group` inputs.

    WebGPU limits a shader to 8 storage buffers, so one 18-input Concat cannot run there;
    grouping keeps every Concat small and the values identical.
    """
    if len(codes) <= group:
        return torch.stack(codes, dim=1)
    return torch.cat([torch.stack(codes[i:i + group], dim=1) for i in range(0, len(codes), group)], dim=1)


class GradualStyleEncoder(PyramidEncoder):
    def __init__(self, width: Width = Width(), n_styles: int = 18, input_nc: int = 3):
        super().__init__(input_nc, n_styles, width, fine_level=True)


class PspEncoder(nn.Module):
    """pSp inversion: image 256^2 in [-1, 1] -> W+ = encoder(image) + latent_avg."""

    def __init__(self, width: Width = Width()):
        super().__init__()
        self.encoder = GradualStyleEncoder(width)
        self.register_buffer("latent_avg", torch.zeros(18, STYLE_DIM))

    def forward(self, image):
        return self.encoder(image) + self.latent_avg.unsqueeze(0)


class GradualLandmarkEncoder(PyramidEncoder):
    """E_le: 2x106 landmark maps at 256^2 -> landmark direction n [B, 7, 512]."""

    def __init__(self, mark_nums: int = 212, width: Width = Width()):
        super().__init__(mark_nums, MIDDLE_HEADS, width, fine_level=False)
