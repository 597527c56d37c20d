"""Structure/appearance split of W+ and the landmark-direction edit (mirrors @fslsd/core)."""

import torch

SPLITS = {
    # Released code (coarse = 7): n offsets codes 0..6 of the source, codes 0..10 come from
    # the source and 11..17 from the target.
    "official": {"source": list(range(0, 11)), "target": list(range(11, 18)), "direction": list(range(0, 7))},
    # The paper's w = [g_s + n, h_t] with g = codes 0..6 and h = codes 7..17.
    "paper": {"source": list(range(0, 7)), "target": list(range(7, 18)), "direction": list(range(0, 7))},
    # MegaFS: codes 0..3 (pose/structure) from the target, 4..17 from the source; no direction.
    "megafs": {"source": list(range(4, 18)), "target": list(range(0, 4)), "direction": []},
}


def fuse(source: torch.Tensor, target: torch.Tensor, direction: torch.Tensor, split: dict, strength: float = 1.0) -> torch.Tensor:
    shifted = source.clone()
    for row, code in enumerate(split["direction"]):
        shifted[:, code] = shifted[:, code] + strength * direction[:, row]
    fused = target.clone()
    fused[:, split["source"]] = shifted[:, split["source"]]
    return fused
