"""The FSLSD decoder: blends generator and target features under the mask, scale by scale.

At scale i the mask is resized from the PREVIOUS scale's mask (torchvision 0.11 Resize on a
tensor: bilinear, align_corners=False, no antialiasing), so the 1024 -> 8 resize happens first
and every later mask is an upsampling of that 8x8 mask.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

from .layers import Blur, FusedLeakyReLU, subpixel_transposed_conv, subpixel_weight
from .stylegan2 import BLUR_TAPS, generator_channels
from .width import Width


class TransposeBlur(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.upsample_conv = nn.ConvTranspose2d(in_channels, out_channels, kernel_size=3, stride=2, padding=0, output_padding=0, bias=True)
        p = (len(BLUR_TAPS) - 2) - (3 - 1)
        self.blur = Blur(BLUR_TAPS, pad=((p + 1) // 2 + 1, p // 2 + 1), upsample_factor=2)

    def prepare_subpixel(self):
        """Export formulation: the transposed conv as a 2x2 conv + pixel shuffle (same values)."""
        with torch.no_grad():
            self.register_buffer("subpixel", subpixel_weight(self.upsample_conv.weight))
            self.register_buffer("subpixel_bias", self.upsample_conv.bias.repeat_interleave(4))

    def forward(self, x):
        if hasattr(self, "subpixel"):
            out = subpixel_transposed_conv(x, self.subpixel, self.subpixel_bias)
            # The extra row and column hold the bias, not zero: cut them before the blur pads.
            return self.blur(out[:, :, : out.shape[2] - 1, : out.shape[3] - 1])
        return self.blur(self.upsample_conv(x))


def mask_pyramid(mask: torch.Tensor, sizes):
    """The chain of masks the decoder uses: each one resized from the one before."""
    masks = []
    for size in sizes:
        mask = F.interpolate(mask, size=(size, size), mode="bilinear", align_corners=False)
        masks.append(mask)
    return masks


def blend(source_features, target_features, mask):
    sizes = [f.shape[2] for f in source_features]
    return [s * m + t * (1 - m) for s, t, m in zip(source_features, target_features, mask_pyramid(mask, sizes))]


class Decoder(nn.Module):
    def __init__(self, in_size: int = 8, out_size: int = 1024, width: Width = Width()):
        super().__init__()
        channels = generator_channels(width)
        self.log_size = int(math.log2(out_size))
        resolutions = [2 ** i for i in range(int(math.log2(in_size)), self.log_size + 1)]
        self.decoder = nn.ModuleList()
        for res in resolutions:
            in_channels = channels[res] if res == in_size else 2 * channels[res]
            if res < out_size:
                self.decoder.append(TransposeBlur(in_channels, channels[res * 2]))
            else:
                self.decoder.append(nn.Sequential(
                    nn.Conv2d(in_channels, 16, 3, 1, 1), FusedLeakyReLU(16), nn.Conv2d(16, 3, 3, 1, 1)))

    def forward_blended(self, blended):
        outputs = None
        for index, stage in enumerate(self.decoder):
            inputs = blended[index] if outputs is None else torch.cat([blended[index], outputs], dim=1)
            outputs = stage(inputs)
        return outputs

    def forward(self, source_features, target_features, mask):
        """Official signature: (F_s list, F_t list, mask [B,1,1024,1024]) -> raw image (not clamped)."""
        return self.forward_blended(blend(source_features, target_features, mask))
