"""The latent editor stored as ``bald_model``: 18 independent 512->512 equalized linear layers.

Whatever its nonlinearity setting says, the released forward uses 'linear':
out = w + coefficient * (W_i w_i + b_i), with coefficient 2 in the released test code.
"""

import math

import torch
from torch import nn

from .stylegan2 import STYLE_DIM

RELEASED_COEFFICIENT = 2.0


class DenseLayer(nn.Module):
    def __init__(self, size=STYLE_DIM):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(size, size))
        self.bias = nn.Parameter(torch.zeros(size))
        nn.init.xavier_uniform_(self.weight)
        self.scale = 1.0 / math.sqrt(size)


class LatentEditor(nn.Module):
    def __init__(self, layers: int = 18, coefficient: float = RELEASED_COEFFICIENT):
        super().__init__()
        self.dense = nn.ModuleList([DenseLayer() for _ in range(layers)])
        self.coefficient = coefficient

    def forward(self, wplus):
        """wplus [B, 18, 512] -> edited [B, 18, 512]."""
        weight = torch.stack([layer.weight for layer in self.dense])  # [18, out, in]
        bias = torch.stack([layer.bias for layer in self.dense])  # [18, out]
        scale = self.dense[0].scale
        delta = torch.matmul(wplus.unsqueeze(2), weight.transpose(1, 2)).squeeze(2) * scale + bias
        return wplus + self.coefficient * delta
