"""Channel width multiplier shared by every network.

Width 1 is the official architecture. Smaller widths scale the feature channels but never
the style dimension (512): a W+ code is always 18x512, so every variant speaks the same
latent language and the TypeScript side needs no per-variant logic.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Width:
    factor: float = 1.0

    def __call__(self, channels: int) -> int:
        if self.factor == 1.0:
            return channels
        return max(1, int(round(channels * self.factor)))
