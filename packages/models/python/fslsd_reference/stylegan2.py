"""StyleGAN2 1024 generator (rosinality layout, channel multiplier 2) as FSLSD uses it.

FSLSD's generator is called with ``input_is_latent=True`` and ``randomize_noise=False`` and
returns the feature map after the second styled conv of every block (8^2 .. 1024^2). The RGB
image it computes on the side is discarded there; we return it as ``side_output`` (y_s).
Consequence worth knowing: W+ row 17 only feeds the last ToRGB, so it changes y_s but never
the swapped image.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

from .layers import Blur, EqualLinear, FusedLeakyReLU, Upsample, subpixel_transposed_conv, subpixel_weight, upfirdn2d
from .width import Width

STYLE_DIM = 512
BLUR_TAPS = [1, 3, 3, 1]


def generator_channels(width: Width, multiplier: int = 2) -> dict:
    base = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * multiplier, 128: 128 * multiplier,
            256: 64 * multiplier, 512: 32 * multiplier, 1024: 16 * multiplier}
    return {size: width(ch) for size, ch in base.items()}


class PixelNorm(nn.Module):
    def forward(self, x):
        return x * torch.rsqrt(torch.mean(x ** 2, dim=1, keepdim=True) + 1e-8)


class ModulatedConv2d(nn.Module):
    """Style-modulated convolution.

    The official code folds the style into per-sample weights (grouped conv). That does not
    export to ONNX with a fixed weight, so ``forward`` scales the activations instead and
    applies demodulation to the output: the same linear map, reassociated.
    ``forward_per_sample_weights`` keeps the folded formulation to prove the two agree.
    """

    def __init__(self, in_channels, out_channels, kernel_size, style_dim=STYLE_DIM, demodulate=True, upsample=False):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.upsample = upsample
        self.demodulate = demodulate
        if upsample:
            factor = 2
            p = (len(BLUR_TAPS) - factor) - (kernel_size - 1)
            self.blur = Blur(BLUR_TAPS, pad=((p + 1) // 2 + factor - 1, p // 2 + 1), upsample_factor=factor)
        self.scale = 1.0 / math.sqrt(in_channels * kernel_size ** 2)
        self.padding = kernel_size // 2
        self.weight = nn.Parameter(torch.randn(1, out_channels, in_channels, kernel_size, kernel_size))
        self.modulation = EqualLinear(style_dim, in_channels, bias_init=1.0)

    def forward(self, x, style):
        batch = x.shape[0]
        s = self.modulation(style)  # [B, Cin]
        weight = self.weight[0]  # [Cout, Cin, k, k]; the 1/sqrt(fan_in) scale rides on the activations
        x = x * (s * self.scale).reshape(batch, self.in_channels, 1, 1)
        if self.upsample and hasattr(self, "subpixel"):
            # Export formulation (see prepare_subpixel): the last row/column of the sub-pixel output is
            # exactly zero, so it stands in for the blur's one-pixel right/bottom padding.
            out = subpixel_transposed_conv(x, self.subpixel)
            out = upfirdn2d(out, self.blur.kernel, pad=(self.blur.pad[0], self.blur.pad[1] - 1))
        elif self.upsample:
            out = F.conv_transpose2d(x, weight.transpose(0, 1), stride=2, padding=0)
            out = self.blur(out)
        else:
            out = F.conv2d(x, weight, padding=self.padding)
        if self.demodulate:
            style_energy = s * s  # traced first, as the official expression orders it
            squares = self.squares if hasattr(self, "squares") else weight.pow(2).sum([2, 3]) * self.scale ** 2
            energy = torch.matmul(style_energy, squares.t())  # [B, Cout]
            out = out * torch.rsqrt(energy + 1e-8).reshape(batch, self.out_channels, 1, 1)
        return out

    def prepare_subpixel(self):
        """Switch an upsampling conv to the export formulation: the transposed conv as a 2x2 conv +
        pixel shuffle, and the demodulation energies precomputed, so the graph needs no 3x3 weight."""
        if not self.upsample:
            return
        with torch.no_grad():
            weight = self.weight[0]
            self.register_buffer("subpixel", subpixel_weight(weight.transpose(0, 1)))
            self.register_buffer("squares", weight.pow(2).sum([2, 3]) * self.scale ** 2)

    def forward_per_sample_weights(self, x, style):
        batch, _, height, width = x.shape
        s = self.modulation(style).reshape(batch, 1, self.in_channels, 1, 1)
        weight = self.scale * self.weight * s  # [B, Cout, Cin, k, k]
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.pow(2).sum([2, 3, 4]) + 1e-8).reshape(batch, self.out_channels, 1, 1, 1)
        k = self.kernel_size
        grouped = x.reshape(1, batch * self.in_channels, height, width)
        if self.upsample:
            w = weight.transpose(1, 2).reshape(batch * self.in_channels, self.out_channels, k, k)
            out = F.conv_transpose2d(grouped, w, stride=2, padding=0, groups=batch)
            out = self.blur(out.reshape(batch, self.out_channels, out.shape[2], out.shape[3]))
            return out
        w = weight.reshape(batch * self.out_channels, self.in_channels, k, k)
        out = F.conv2d(grouped, w, padding=self.padding, groups=batch)
        return out.reshape(batch, self.out_channels, out.shape[2], out.shape[3])


class NoiseInjection(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x, noise):
        return x + self.weight * noise


class ConstantInput(nn.Module):
    def __init__(self, channels, size=4):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channels, size, size))

    def forward(self, batch: int):
        return self.input.repeat(batch, 1, 1, 1)


class StyledConv(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, upsample=False):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, kernel_size, upsample=upsample)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(out_channels)

    def forward(self, x, style, noise):
        return self.activate(self.noise(self.conv(x, style), noise))


class ToRGB(nn.Module):
    def __init__(self, in_channels, upsample=True):
        super().__init__()
        if upsample:
            self.upsample = Upsample(BLUR_TAPS)
        self.conv = ModulatedConv2d(in_channels, 3, 1, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(self, x, style, skip=None):
        out = self.conv(x, style) + self.bias
        if skip is not None:
            out = out + self.upsample(skip)
        return out


class Generator(nn.Module):
    def __init__(self, size=1024, n_mlp=8, width: Width = Width(), lr_mlp=0.01):
        super().__init__()
        self.size = size
        self.channels = generator_channels(width)
        self.style = nn.Sequential(PixelNorm(), *[
            EqualLinear(STYLE_DIM, STYLE_DIM, lr_mul=lr_mlp, activation="fused_lrelu") for _ in range(n_mlp)
        ])
        self.input = ConstantInput(self.channels[4])
        self.conv1 = StyledConv(self.channels[4], self.channels[4], 3)
        self.to_rgb1 = ToRGB(self.channels[4], upsample=False)
        self.log_size = int(math.log2(size))
        self.num_layers = (self.log_size - 2) * 2 + 1
        self.convs = nn.ModuleList()
        self.upsamples = nn.ModuleList()  # empty in the official model too; kept for the name layout
        self.to_rgbs = nn.ModuleList()
        self.noises = nn.Module()
        for layer in range(self.num_layers):
            resolution = 2 ** ((layer + 5) // 2)
            self.noises.register_buffer(f"noise_{layer}", torch.randn(1, 1, resolution, resolution))
        in_channels = self.channels[4]
        for level in range(3, self.log_size + 1):
            out_channels = self.channels[2 ** level]
            self.convs.append(StyledConv(in_channels, out_channels, 3, upsample=True))
            self.convs.append(StyledConv(out_channels, out_channels, 3))
            self.to_rgbs.append(ToRGB(out_channels))
            in_channels = out_channels
        self.n_latent = self.log_size * 2 - 2

    def feature_channels(self):
        return [self.channels[2 ** level] for level in range(3, self.log_size + 1)]

    def forward(self, wplus: torch.Tensor):
        """wplus [B, 18, 512] -> (side_output [B, 3, 1024, 1024], [8 feature maps, 8^2 .. 1024^2])."""
        noise = [getattr(self.noises, f"noise_{i}") for i in range(self.num_layers)]
        out = self.input(wplus.shape[0])
        out = self.conv1(out, wplus[:, 0], noise[0])
        skip = self.to_rgb1(out, wplus[:, 1])
        features = []
        code = 1
        for index, to_rgb in enumerate(self.to_rgbs):
            out = self.convs[2 * index](out, wplus[:, code], noise[2 * index + 1])
            out = self.convs[2 * index + 1](out, wplus[:, code + 1], noise[2 * index + 2])
            skip = to_rgb(out, wplus[:, code + 2], skip)
            features.append(out)
            code += 2
        return skip, features
