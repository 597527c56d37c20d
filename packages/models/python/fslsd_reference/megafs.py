"""MegaFS (Zhu et al., "One Shot Face Swapping on Megapixels", CVPR 2021), the method FSLSD
compares itself against, as its released inference code computes it
(zyainfal/One-Shot-Face-Swapping-on-Megapixels, inference/megafs.py and inference/inference.py,
the only version, 2021-06-28). Module and parameter names follow that code so that its
checkpoints load with strict=True: ``{ftm,injection,lcr}_final.pth`` hold ``e`` (HieRFE) and
``s`` (the face transfer module); the generator is rosinality's StyleGAN2 1024
(``stylegan2-ffhq-config-f.pt``, ``g_ema``), shared with the FSLSD reference.

Dataflow of one swap (batch 1 here; the released code batches target and source together,
which changes nothing in eval mode):

    target 256^2 -> HieRFE -> codes_t [18, 512] (tanh), f4_t [512, 4, 4]
    source 256^2 -> HieRFE -> codes_s
    transfer(codes_s, codes_t) -> codes: 0-3 from the target, 4-17 mixed (ftm, injection) or the source's (lcr)
    generator(f4_t in place of the 4x4 constant, codes as W+, stored noise) -> image [3, 1024, 1024]

Quirks of the released code kept here on purpose (the weights were trained with them):
- ``nn.LeakyReLU(True)`` in the transfer modules passes True as the negative slope: slope 1,
  the identity. The style mappings use ``nn.LeakyReLU(inplace=True)``: slope 0.01.
- The FPN's laterals are 3x3 convolutions with bias + BatchNorm + ReLU; the top-down path adds
  bilinear x2 upsamplings with align_corners=True; f4 is a 3x3 conv + BatchNorm with no activation.
- The generator's image is turned into pixels by a min-max stretch over the whole image
  (``postprocess``), not by (x + 1) / 2.

Width < 1 (the tiny set) scales the ResNet, FPN and transfer hidden channels; codes stay 512-d
and the last conv of each style mapping maps to 512, so width 1 is exactly the released model.
"""

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .stylegan2 import Generator
from .width import Width

CODES = 18
STYLE_DIM = 512
# Codes 0-3 come from the 8^2 pyramid level, 4-9 from 16^2, 10-17 from 32^2 (inference.py: latent_split).
LATENT_SPLIT = (4, 6, 8)
SWAP_INDEX = 4
TRANSFER_TYPES = ("ftm", "injection", "lcr")
INPUT_SIZE = 256

# Parameter counts of the released modules at width 1 (the released classes instantiated; the
# reference must reproduce them exactly).
RELEASED_PARAMETERS = {
    "encoder": 242_013_248,
    "transfer_ftm": 66_196_480,
    "transfer_injection": 29_417_472,
    "transfer_lcr": 0,
    "generator": 30_370_060,
}


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class Bottleneck(nn.Module):
    """torchvision's ResNet v1.5 bottleneck (stride on the 3x3 conv)."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """ResNet-50 without avgpool and fc, plus ``layer5`` (2 bottlenecks, stride 2): 8^2 -> 4^2."""

    def __init__(self, width: Width = Width(), layers=(3, 4, 6, 3, 2)):
        super().__init__()
        self.inplanes = width(64)
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(width(64), layers[0])
        self.layer2 = self._make_layer(width(128), layers[1], stride=2)
        self.layer3 = self._make_layer(width(256), layers[2], stride=2)
        self.layer4 = self._make_layer(width(512), layers[3], stride=2)
        self.layer5 = self._make_layer(width(512), layers[4], stride=2)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * Bottleneck.expansion, stride), nn.BatchNorm2d(planes * Bottleneck.expansion))
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * Bottleneck.expansion
        layers += [Bottleneck(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer1(x)
        c1 = self.layer2(x)   # 32^2
        c2 = self.layer3(c1)  # 16^2
        c3 = self.layer4(c2)  # 8^2
        c4 = self.layer5(c3)  # 4^2
        return c1, c2, c3, c4


def conv_bn(inp, oup):
    return nn.Sequential(nn.Conv2d(inp, oup, 3, 1, 1, bias=True), nn.BatchNorm2d(oup), nn.ReLU())


class FPN(nn.Module):
    def __init__(self, width: Width = Width()):
        super().__init__()
        self.backbone = ResNet(width)
        lateral = width(512)
        self.output1 = conv_bn(width(128) * 4, lateral)
        self.output2 = conv_bn(width(256) * 4, lateral)
        self.output3 = conv_bn(width(512) * 4, lateral)
        self.output4 = nn.Sequential(nn.Conv2d(width(512) * 4, lateral, 3, 1, padding=1, bias=True), nn.BatchNorm2d(lateral))

    def forward(self, x):
        c1, c2, c3, c4 = self.backbone(x)
        p4 = self.output4(c4)
        p3 = self.output3(c3)
        p2 = self.output2(c2) + F.interpolate(p3, scale_factor=2, mode="bilinear", align_corners=True)
        p1 = self.output1(c1) + F.interpolate(p2, scale_factor=2, mode="bilinear", align_corners=True)
        return p4, p3, p2, p1


class StyleMapping(nn.Module):
    """log2(size) x [3x3 conv stride 2 (bias), BatchNorm, LeakyReLU 0.01] down to 1x1 -> one code."""

    def __init__(self, size: int, channels: int):
        super().__init__()
        steps = size.bit_length() - 1  # log2: 8 -> 3, 16 -> 4, 32 -> 5
        layers = []
        for step in range(steps):
            out = STYLE_DIM if step == steps - 1 else channels
            layers += [nn.Conv2d(channels, out, 3, 2, padding=1, bias=True), nn.BatchNorm2d(out), nn.LeakyReLU(inplace=True)]
            channels = out
        self.convs = nn.Sequential(*layers)

    def forward(self, x):
        return self.convs(x).squeeze(2).squeeze(2).unsqueeze(1)


class HieRFE(nn.Module):
    """The hierarchical representation face encoder: image 256^2 in [-1, 1] -> (codes [B, 18, 512] in (-1, 1), f4)."""

    def __init__(self, width: Width = Width(), num_latents=LATENT_SPLIT):
        super().__init__()
        self.fpn = FPN(width)
        self.act = nn.Tanh()
        lateral = width(512)
        self.mapping1 = nn.ModuleList([StyleMapping(8, lateral) for _ in range(num_latents[0])])
        self.mapping2 = nn.ModuleList([StyleMapping(16, lateral) for _ in range(num_latents[1])])
        self.mapping3 = nn.ModuleList([StyleMapping(32, lateral) for _ in range(num_latents[2])])

    def forward(self, x):
        f4, f8, f16, f32 = self.fpn(x)
        latents = [m(f8) for m in self.mapping1] + [m(f16) for m in self.mapping2] + [m(f32) for m in self.mapping3]
        return self.act(torch.cat(latents, 1)), f4


def identity_leaky_relu():
    """The released code's ``nn.LeakyReLU(True)``: negative_slope=True, i.e. 1.0, the identity.
    Written with the float 1.0, which computes the same and which the ONNX tracer accepts (it
    rejects a bool slope); the module has no parameters, so checkpoints are unaffected."""
    return nn.LeakyReLU(1.0)


class TransferCell(nn.Module):
    def __init__(self, num_blocks: int, hidden: int):
        super().__init__()
        self.num_blocks = num_blocks
        self.idd_selectors, self.idd_shifters = nn.ModuleList(), nn.ModuleList()
        self.att_selectors, self.att_shifters = nn.ModuleList(), nn.ModuleList()
        self.act = identity_leaky_relu()

        def mlp(last):
            return nn.Sequential(nn.Linear(2 * STYLE_DIM, hidden), nn.ReLU(True), nn.Linear(hidden, STYLE_DIM), last())

        for _ in range(num_blocks):
            self.idd_selectors.append(mlp(nn.Sigmoid))
            self.idd_shifters.append(mlp(nn.Tanh))
            self.att_selectors.append(mlp(nn.Sigmoid))
            self.att_shifters.append(mlp(nn.Tanh))

    def forward(self, idd, att):
        for i in range(self.num_blocks):
            # Both updates read the previous idd and att.
            fuse = torch.cat([idd, att], dim=1)
            idd, att = (self.act(idd * self.idd_selectors[i](fuse) + self.idd_shifters[i](fuse)),
                        self.act(att * self.att_selectors[i](fuse) + self.att_shifters[i](fuse)))
        return idd.unsqueeze(1), att.unsqueeze(1)


class InjectionBlock(nn.Module):
    """AdaIN-like: BatchNorm1d(att) (no affine, running statistics) * (1 + gamma(idd)) + beta(idd)."""

    def __init__(self, hidden: int):
        super().__init__()
        self.idd_linears = nn.Sequential(nn.Linear(STYLE_DIM, hidden), nn.ReLU(True))
        self.idd_selectors = nn.Linear(hidden, STYLE_DIM)
        self.idd_shifters = nn.Linear(hidden, STYLE_DIM)
        self.att_bns = nn.BatchNorm1d(STYLE_DIM, affine=False)

    def forward(self, x):
        idd, att = x[0], x[1]
        normalized = self.att_bns(att)
        actv = self.idd_linears(idd)
        return normalized * (1 + self.idd_selectors(actv)) + self.idd_shifters(actv)


class InjectionResBlock(nn.Module):
    def __init__(self, num_blocks: int, hidden: int):
        super().__init__()
        self.num_blocks = num_blocks
        self.att_path1, self.att_path2 = nn.ModuleList(), nn.ModuleList()
        self.act = identity_leaky_relu()
        for _ in range(num_blocks):
            self.att_path1.append(nn.Sequential(InjectionBlock(hidden), identity_leaky_relu(), nn.Linear(STYLE_DIM, STYLE_DIM)))
            self.att_path2.append(nn.Sequential(InjectionBlock(hidden), identity_leaky_relu(), nn.Linear(STYLE_DIM, STYLE_DIM)))

    def forward(self, idd, att):
        for i in range(self.num_blocks):
            residual = att
            att = self.att_path1[i]((idd, att))
            att = self.att_path2[i]((idd, att))
            att = att + residual
        return self.act(att.unsqueeze(1))


class FaceTransferModule(nn.Module):
    """``forward(source_codes, target_codes)`` -> codes: 0-3 the target's, 4-17 transferred."""

    def __init__(self, typ: str = "ftm", width: Width = Width()):
        super().__init__()
        if typ not in TRANSFER_TYPES:
            raise ValueError(f"unknown MegaFS transfer type {typ!r}; use one of {', '.join(TRANSFER_TYPES)}")
        self.type = typ
        self.swap_indice = SWAP_INDEX
        self.num_latents = CODES - SWAP_INDEX
        if typ == "ftm":
            self.blocks = nn.ModuleList([TransferCell(3, width(256)) for _ in range(self.num_latents)])
            self.weight = nn.Parameter(torch.randn(1, self.num_latents, STYLE_DIM))
        elif typ == "injection":
            self.blocks = nn.ModuleList([InjectionResBlock(1, width(512)) for _ in range(self.num_latents)])

    def forward(self, idd, att):
        att_low = att[:, :self.swap_indice]
        if self.type == "lcr":
            return torch.cat([att_low, idd[:, self.swap_indice:]], 1)
        idd_high, att_high = idd[:, self.swap_indice:], att[:, self.swap_indice:]
        if self.type == "ftm":
            pairs = [self.blocks[i](idd_high[:, i], att_high[:, i]) for i in range(self.num_latents)]
            idds = torch.cat([p[0] for p in pairs], 1)
            atts = torch.cat([p[1] for p in pairs], 1)
            scale = torch.sigmoid(self.weight).expand(idd.shape[0], -1, -1)
            return torch.cat([att_low, scale * idds + (1 - scale) * atts], 1)
        latents = [self.blocks[i](idd_high[:, i], att_high[:, i]) for i in range(self.num_latents)]
        return torch.cat([att_low, torch.cat(latents, 1)], 1)


def generate_from_structure(generator: Generator, structure: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """MegaFS's generator call: the 4x4 constant replaced by ``structure`` (f4), ``codes`` as W+
    (input_is_latent), the stored noise (randomize_noise=False), no truncation. Returns the image."""
    noise = [getattr(generator.noises, f"noise_{i}") for i in range(generator.num_layers)]
    out = generator.conv1(structure, codes[:, 0], noise[0])
    skip = generator.to_rgb1(out, codes[:, 1])
    code = 1
    for index, to_rgb in enumerate(generator.to_rgbs):
        out = generator.convs[2 * index](out, codes[:, code], noise[2 * index + 1])
        out = generator.convs[2 * index + 1](out, codes[:, code + 1], noise[2 * index + 2])
        skip = to_rgb(out, codes[:, code + 2], skip)
        code += 2
    return skip


@dataclass
class MegaFSNetworks:
    encoder: HieRFE
    transfer: FaceTransferModule
    generator: Generator

    def items(self):
        return [("encoder", self.encoder), ("transfer", self.transfer), ("generator", self.generator)]

    def eval(self):
        for _, module in self.items():
            module.eval()
        return self

    def swap(self, source: torch.Tensor, target: torch.Tensor) -> dict:
        """source, target [B, 3, 256, 256] in [-1, 1] -> every intermediate of one swap."""
        source_codes, _ = self.encoder(source)
        target_codes, structure = self.encoder(target)
        codes = self.transfer(source_codes, target_codes)
        image = generate_from_structure(self.generator, structure, codes)
        return {"source_codes": source_codes, "target_codes": target_codes, "structure": structure, "codes": codes, "image": image}

    def refine(self, image: torch.Tensor) -> torch.Tensor:
        """The released refine pass: re-encode a (blended) swap at 256^2 and regenerate it, no transfer."""
        codes, structure = self.encoder(image)
        return generate_from_structure(self.generator, structure, codes)


def build_megafs(typ: str = "ftm", width: Width = Width()) -> MegaFSNetworks:
    return MegaFSNetworks(encoder=HieRFE(width), transfer=FaceTransferModule(typ, width), generator=Generator(1024, 8, width)).eval()


def load_megafs_checkpoint(networks: MegaFSNetworks, checkpoint: dict) -> None:
    """``{ftm,injection,lcr}_final.pth``: {'e': HieRFE state, 's': transfer state}, strict."""
    missing = [key for key in ("e", "s") if key not in checkpoint]
    if missing:
        if "g_ema" in checkpoint:
            raise KeyError("this is the StyleGAN2 checkpoint (it holds g_ema); pass it as --stylegan2, and the MegaFS "
                           "checkpoint ({ftm,injection,lcr}_final.pth) as --megafs-checkpoint")
        raise KeyError(f"MegaFS checkpoint lacks {missing}; {{ftm,injection,lcr}}_final.pth holds 'e' and 's'")
    networks.encoder.load_state_dict(checkpoint["e"], strict=True)
    networks.transfer.load_state_dict(checkpoint["s"], strict=True)


def load_stylegan2_checkpoint(generator: Generator, checkpoint: dict) -> None:
    """rosinality's ``stylegan2-ffhq-config-f.pt``: its ``g_ema``, strict (the released code
    loads it with strict=False, which would keep random noise buffers without a word)."""
    if "g_ema" not in checkpoint:
        raise KeyError("StyleGAN2 checkpoint lacks 'g_ema' (rosinality's convert_weight.py writes it)")
    generator.load_state_dict(checkpoint["g_ema"], strict=True)


def postprocess(image: torch.Tensor) -> torch.Tensor:
    """inference.py: the generator's image stretched to [0, 255] by its own minimum and maximum
    (over all channels), float; the composition then truncates to uint8."""
    low, high = image.min(), image.max()
    return (image - low) / (high - low) * 255.0


class SoftErosion(nn.Module):
    """inference.py's SoftErosion(kernel_size=17, threshold=0.9, iterations=7): an iterated
    min(x, cone blur of x), one more blur, then 1 where >= threshold and the rest rescaled so its
    maximum is 1."""

    def __init__(self, kernel_size=17, threshold=0.9, iterations=7):
        super().__init__()
        r = kernel_size // 2
        self.padding = r
        self.iterations = iterations
        self.threshold = threshold
        y_indices, x_indices = torch.meshgrid(torch.arange(0.0, kernel_size), torch.arange(0.0, kernel_size), indexing="ij")
        dist = torch.sqrt((x_indices - r) ** 2 + (y_indices - r) ** 2)
        kernel = dist.max() - dist
        kernel /= kernel.sum()
        self.register_buffer("weight", kernel.view(1, 1, kernel_size, kernel_size))

    def forward(self, x):
        x = x.float()
        for _ in range(self.iterations - 1):
            x = torch.min(x, F.conv2d(x, weight=self.weight, groups=x.shape[1], padding=self.padding))
        x = F.conv2d(x, weight=self.weight, groups=x.shape[1], padding=self.padding)
        mask = x >= self.threshold
        x[mask] = 1.0
        x[~mask] /= x[~mask].max()
        return x, mask


def compose(pixels: torch.Tensor, target: torch.Tensor, face_mask: torch.Tensor) -> dict:
    """inference.py's postprocess on tensors: pixels [1,3,S,S] from ``postprocess``, target
    [1,3,S,S] in [0, 255], face mask [1,1,S,S] in [0, 1] -> soft mask and the blend (float; the
    released code then truncates it to uint8)."""
    soft, _ = SoftErosion()(face_mask)
    return {"soft": soft, "blended": pixels * soft + target * (1 - soft)}


def resize_to_input(rgb: "np.ndarray") -> "np.ndarray":
    """cv2.resize(rgb, (256, 256)) with INTER_LINEAR on uint8, for the 4x reduction of a 1024^2 image:
    each output pixel averages the two middle rows and columns of its 4x4 cell (half-pixel centres
    fall at 4x + 1.5), and OpenCV's fixed-point arithmetic rounds the mean half up."""
    import numpy as np

    if rgb.shape[0] != 4 * INPUT_SIZE or rgb.shape[1] != 4 * INPUT_SIZE:
        raise ValueError(f"expected a {4 * INPUT_SIZE}^2 image, got {rgb.shape[1]}x{rgb.shape[0]}")
    cells = rgb.astype(np.int32).reshape(INPUT_SIZE, 4, INPUT_SIZE, 4, -1)[:, 1:3, :, 1:3]
    return ((cells.sum(axis=(1, 3)) + 2) >> 2).astype(np.uint8)


def to_input_tensor(rgb256: "np.ndarray") -> torch.Tensor:
    """uint8 RGB 256^2 -> [1, 3, 256, 256]: /255, then (x - 0.5) / 0.5 (torchvision normalize)."""
    tensor = torch.from_numpy(rgb256.transpose(2, 0, 1).copy()).float().mul_(1 / 255.0)
    return ((tensor - 0.5) / 0.5).unsqueeze(0)


def parameter_counts(width: Width = Width()) -> dict:
    counts = {}
    for typ in TRANSFER_TYPES:
        networks = build_megafs(typ, width)
        counts[f"transfer_{typ}"] = sum(p.numel() for p in networks.transfer.parameters())
        if typ == "ftm":
            counts["encoder"] = sum(p.numel() for p in networks.encoder.parameters())
            counts["generator"] = sum(p.numel() for p in networks.generator.parameters())
        del networks
    return counts
