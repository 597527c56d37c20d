"""The six networks of one FSLSD swap, built at a given width, and official checkpoint loading."""

from dataclasses import dataclass

import torch
from torch import nn

from .decoder import Decoder
from .encoders import GradualLandmarkEncoder, PspEncoder
from .latent_editor import LatentEditor
from .stylegan2 import Generator
from .target_encoder import GPENEncoder
from .width import Width

LANDMARK_POINTS = 106

# Key in CELEBA-HQ-1024.pt -> our network name.
FSLSD_CHECKPOINT_KEYS = {
    "encoder_lmk": "landmark_encoder",
    "encoder_target": "target_encoder",
    "generator": "generator",
    "decoder": "decoder",
    "bald_model": "latent_editor",
}


@dataclass
class Networks:
    psp_encoder: PspEncoder
    landmark_encoder: GradualLandmarkEncoder
    latent_editor: LatentEditor
    generator: Generator
    target_encoder: GPENEncoder
    decoder: Decoder

    def items(self):
        return [(name, getattr(self, name)) for name in self.__dataclass_fields__]

    def eval(self):
        for _, module in self.items():
            module.eval()
        return self


def build_networks(width: Width = Width()) -> Networks:
    return Networks(
        psp_encoder=PspEncoder(width),
        landmark_encoder=GradualLandmarkEncoder(2 * LANDMARK_POINTS, width),
        latent_editor=LatentEditor(),
        generator=Generator(1024, 8, width),
        target_encoder=GPENEncoder(512, width),
        decoder=Decoder(8, 1024, width),
    ).eval()


def strip_module_prefix(state: dict) -> dict:
    """Checkpoints saved from DistributedDataParallel carry a 'module.' prefix on every key."""
    if state and all(key.startswith("module.") for key in state):
        return {key[len("module."):]: value for key, value in state.items()}
    return state


def load_fslsd_checkpoint(networks: Networks, checkpoint: dict) -> None:
    missing = [key for key in FSLSD_CHECKPOINT_KEYS if key not in checkpoint]
    if missing:
        raise KeyError(f"FSLSD checkpoint lacks {missing}; expected keys {sorted(FSLSD_CHECKPOINT_KEYS)}")
    for key, name in FSLSD_CHECKPOINT_KEYS.items():
        getattr(networks, name).load_state_dict(strip_module_prefix(checkpoint[key]), strict=True)


def load_psp_checkpoint(psp: PspEncoder, checkpoint: dict) -> None:
    """psp_ffhq_encode.pt: {'state_dict': {'encoder.*', 'decoder.*'}, 'latent_avg': [18, 512], 'opts': ...}."""
    state = strip_module_prefix(checkpoint["state_dict"])
    encoder_state = {key[len("encoder."):]: value for key, value in state.items() if key.startswith("encoder.")}
    psp.encoder.load_state_dict(encoder_state, strict=True)
    latent_avg = checkpoint["latent_avg"]
    psp.latent_avg.copy_(latent_avg.reshape(-1, 512).expand(18, 512))


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
