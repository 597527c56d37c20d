"""PyTorch reference of the FSLSD inference networks.

Module and parameter names follow the released FSLSD code and pSp, so the official
checkpoints load with ``strict=True``. Every forward is written with plain PyTorch ops
(no CUDA extensions) in a form that ``torch.onnx.export`` can trace.
"""

from .width import Width

__all__ = ["Width"]
