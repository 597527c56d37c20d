"""Building blocks of StyleGAN2-style networks, in plain PyTorch.

The official code uses CUDA kernels (upfirdn2d, fused_bias_act). These are the same
computations written with pad/conv/reshape so they run on CPU and export to ONNX.
Buffers (blur kernels) keep the official names because the checkpoints store them.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

SQRT2 = math.sqrt(2.0)


def blur_kernel_2d(taps, gain: float = 1.0) -> torch.Tensor:
    k = torch.tensor(taps, dtype=torch.float32)
    k = k[None, :] * k[:, None]
    return k / k.sum() * gain


def upfirdn2d(x: torch.Tensor, kernel: torch.Tensor, up: int = 1, down: int = 1, pad=(0, 0)) -> torch.Tensor:
    """Upsample by zero insertion, pad, apply an FIR filter per channel, then decimate."""
    batch, channels, height, width = x.shape
    if up > 1:
        # Zero insertion: each sample lands at index up*i, zeros fill the gaps.
        x = x.reshape(batch, channels, height, 1, width, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])
        x = x.reshape(batch, channels, height * up, width * up)
    pad0, pad1 = pad
    x = F.pad(x, [pad0, pad1, pad0, pad1])
    taps = kernel.shape[0]
    training = torch.is_grad_enabled() and x.requires_grad and not (torch.jit.is_tracing() or torch.onnx.is_in_onnx_export())
    if not training:
        # One single-channel filter over all (batch x channel) planes: the filter's shape stays
        # static under ONNX tracing, whatever the channel count.
        padded_height, padded_width = x.shape[2], x.shape[3]
        x = x.reshape(batch * channels, 1, padded_height, padded_width)
        x = F.conv2d(x, torch.flip(kernel, [0, 1]).reshape(1, 1, taps, taps))
        x = x.reshape(batch, channels, x.shape[2], x.shape[3])
    else:
        # When backpropagating (the trainer): the same filter as a depthwise convolution, the
        # same numbers and 4x faster to differentiate on CPUs (oneDNN's backward is slow on
        # one-channel planes). Exports and the reference's fixtures never take this path.
        x = F.conv2d(x, torch.flip(kernel, [0, 1]).reshape(1, 1, taps, taps).expand(channels, 1, taps, taps), groups=channels)
    if down > 1:
        x = x[:, :, ::down, ::down]
    return x


# Which window tap of the 2x2 sub-pixel conv carries which tap of the stride-2, 3-tap transposed
# conv, per output phase: output 2m + phase reads inputs m - 1 (window 0) and m (window 1).
SUBPIXEL_TAPS = {(0, 0): 2, (0, 1): 0, (1, 1): 1}  # (phase, window) -> transposed-conv tap


def subpixel_weight(weight_t: torch.Tensor) -> torch.Tensor:
    """A stride-2 3x3 ConvTranspose weight [Cin, Cout, 3, 3] as a 2x2 conv weight [4 Cout, Cin, 2, 2].

    Output channel 4 co + 2 phase_y + phase_x holds the phase (phase_y, phase_x) of channel co,
    the order F.pixel_shuffle (ONNX DepthToSpace, CRD) expects. Nine of the sixteen taps per
    output are used, the rest are zero: 16/9 of the FLOPs, but a plain convolution, which CPU
    runtimes run about three times faster than ConvTranspose (see BENCHMARKS.md).
    """
    cin, cout, k, _ = weight_t.shape
    if k != 3:
        raise ValueError(f"sub-pixel form is written for 3x3 kernels, got {k}x{k}")
    kernel = weight_t.new_zeros(cout, 2, 2, cin, 2, 2)  # [co, phase_y, phase_x, ci, window_y, window_x]
    for (phase_y, window_y), tap_y in SUBPIXEL_TAPS.items():
        for (phase_x, window_x), tap_x in SUBPIXEL_TAPS.items():
            kernel[:, phase_y, phase_x, :, window_y, window_x] = weight_t[:, :, tap_y, tap_x].t()
    return kernel.reshape(cout * 4, cin, 2, 2)


def subpixel_transposed_conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor = None) -> torch.Tensor:
    """conv_transpose2d(x, w, stride=2) [.., 2H+1, 2W+1], computed as [.., 2H+2, 2W+2]: a 2x2 conv over
    x padded by one, then a pixel shuffle. The extra last row and column hold only the bias (zero
    without one). ``weight`` and ``bias`` come from :func:`subpixel_weight` and bias.repeat_interleave(4)."""
    return F.pixel_shuffle(F.conv2d(F.pad(x, [1, 1, 1, 1]), weight, bias), 2)


def use_subpixel(network: nn.Module) -> nn.Module:
    """Every stride-2 transposed conv under ``network`` in the sub-pixel formulation: each module
    that has one (ModulatedConv2d with upsample, the decoder's TransposeBlur) prepares its
    buffers through its own ``prepare_subpixel``. Returns ``network``."""
    for module in network.modules():
        prepare = getattr(module, "prepare_subpixel", None)
        if prepare is not None:
            prepare()
    return network


def fused_leaky_relu(x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    shape = [1, -1] + [1] * (x.dim() - 2)
    return F.leaky_relu(x + bias.reshape(shape), 0.2) * SQRT2


class FusedLeakyReLU(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return fused_leaky_relu(x, self.bias)


class ScaledLeakyReLU(nn.Module):
    def forward(self, x):
        return F.leaky_relu(x, 0.2) * SQRT2


class Blur(nn.Module):
    def __init__(self, taps, pad, upsample_factor: int = 1):
        super().__init__()
        self.register_buffer("kernel", blur_kernel_2d(taps, upsample_factor ** 2))
        self.pad = pad

    def forward(self, x):
        return upfirdn2d(x, self.kernel, pad=self.pad)


class Upsample(nn.Module):
    def __init__(self, taps, factor: int = 2):
        super().__init__()
        self.factor = factor
        self.register_buffer("kernel", blur_kernel_2d(taps, factor ** 2))
        p = len(taps) - factor
        self.pad = ((p + 1) // 2 + factor - 1, p // 2)

    def forward(self, x):
        return upfirdn2d(x, self.kernel, up=self.factor, pad=self.pad)


class EqualConv2d(nn.Module):
    """Convolution with equalized learning rate: weights scaled by 1/sqrt(fan_in) at run time."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.scale = 1.0 / math.sqrt(in_channels * kernel_size ** 2)
        self.stride = stride
        self.padding = padding
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None

    def forward(self, x):
        # Scaling the output rather than the weight keeps the stored weight untouched by
        # constant folding (so float16 storage stays exact); same linear map.
        out = F.conv2d(x, self.weight, stride=self.stride, padding=self.padding) * self.scale
        if self.bias is not None:
            out = out + self.bias.reshape(1, -1, 1, 1)
        return out


class EqualLinear(nn.Module):
    def __init__(self, in_dim, out_dim, bias=True, bias_init=0.0, lr_mul=1.0, activation=None):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init))) if bias else None
        self.activation = activation
        self.scale = (1.0 / math.sqrt(in_dim)) * lr_mul
        self.lr_mul = lr_mul

    def forward(self, x):
        out = F.linear(x, self.weight) * self.scale
        if self.activation:
            return fused_leaky_relu(out, self.bias * self.lr_mul)
        return out + self.bias * self.lr_mul


class ConvLayer(nn.Sequential):
    """[blur] -> equalized conv -> fused leaky ReLU, as GPEN/StyleGAN2 discriminators build it."""

    def __init__(self, in_channels, out_channels, kernel_size, downsample=False, taps=(1, 3, 3, 1), bias=True, activate=True):
        layers = []
        if downsample:
            p = (len(taps) - 2) + (kernel_size - 1)
            layers.append(Blur(list(taps), pad=((p + 1) // 2, p // 2)))
            stride, padding = 2, 0
        else:
            stride, padding = 1, kernel_size // 2
        layers.append(EqualConv2d(in_channels, out_channels, kernel_size, padding=padding, stride=stride, bias=bias and not activate))
        if activate:
            layers.append(FusedLeakyReLU(out_channels) if bias else ScaledLeakyReLU())
        super().__init__(*layers)
