"""H3R: the 106-point facial landmark detector whose points FSLSD's landmark encoder consumes.

B. Yu and D. Tao, "Heatmap Regression via Randomized Rounding" (TPAMI 2021); code and models in
baoshengyu/H3R (package ``torchalign``). The FSLSD authors name H3R trained on LaPa as the source
of their 106 landmarks (README of cnnlstm/FSLSD_HiRes); the release itself contains no landmark
code. ReliableSwap (ygtxr1997/ReliableSwap, modules/third_party/hires/image_infer.py), which runs
FSLSD on arbitrary images, loads ``models/lapa/hrnet18_256x256_p2`` through H3R's
``FacialLandmarkDetector`` on the whole aligned image (no box).

What the released inference computes (torchalign/api.py, backbone/hrnet.py, heatmap_head/*,
cfg.py and models/lapa/hrnet18_256x256_p2/config.yaml, read at H3R commit 52a8bde):

- Input: the image resized to 256x256 (torchvision Resize on a PIL image: the identity for a
  256^2 crop), ToTensor (x / 255), ImageNet Normalize (mean 0.485 0.456 0.406, std 0.229 0.224
  0.225). With no box, the crop rectangle is the whole image, so points come back in its pixels.
- Backbone: HRNet-W18 (``hrnet18``: modules 1/1/4/3, 4 blocks per branch, channels
  18/36/72/144, Bottleneck layer1 of 64 planes) whose four outputs are bilinearly upsampled
  (align_corners=False) to the 64x64 branch and concatenated: 270 channels at stride 4.
- Head (``BinaryHeadBlock``): conv1x1 270->270 (no bias), BatchNorm, ReLU, conv1x1 270->2*106
  (no bias), viewed as [N, 2, 106, 64, 64]; only plane 1 is used at inference.
- Decoding (``BinaryHeatmap2Coordinate``, TOPK 9, STRIDE 4): per landmark the 9 largest logits
  of its 64x64 map, softmax over those 9 scores, the softmax-weighted mean of their (col, row)
  integer positions, times 4. No half-pixel offset.
- Flip test (cfg INPUT.FLIP defaults to True; the LaPa configs do not override it): the same on
  the horizontally mirrored input, x -> 256 - 1 - x, points re-ordered by FLIP_ORDER, and the
  two predictions averaged.
- Checkpoint (model.pth): ``FacialLandmarkDetector.state_dict()`` saved directly, loaded with
  strict=True, keys ``backbone.*`` and ``heatmap_head.head.layers.{0,1,3}.*`` (the decoder has no
  parameters). 9.69M parameters for HRNet-W18 LaPa (H3R README), file 39,287,626 bytes (its
  git-lfs pointer). ``hrnet32_256x256_p2`` (channels 32/64/128/256, head 480) loads too.

Not established from public code: which of the LaPa checkpoints (hrnet18_256x256_p2, its _jd
twin, hrnet32) and which input size (the 256 crop, or the 1024 crop that H3R itself shrinks to
256) the FSLSD authors used for their landmark files. Both inputs give the same 256-crop points
up to resampling rounding; the weights file is the user's choice.

Module and parameter names below follow torchalign so the released model.pth loads with
strict=True; the code is written for this project.
"""

from typing import List, Optional, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .width import Width

POINTS = 106
INPUT_SIZE = 256
HEATMAP_STRIDE = 4
TOPK = 9
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# INPUT.FLIP_ORDER of H3R's LaPa configs: the index each point takes in a mirrored face.
LAPA_FLIP_ORDER = (
    32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15,
    14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 46, 45, 44,
    43, 42, 50, 49, 48, 47, 37, 36, 35, 34, 33, 41, 40, 39, 38, 51, 52, 53,
    54, 65, 64, 63, 62, 61, 60, 59, 58, 57, 56, 55, 79, 78, 77, 76, 75, 82,
    81, 80, 83, 70, 69, 68, 67, 66, 73, 72, 71, 74, 90, 89, 88, 87, 86, 85,
    84, 95, 94, 93, 92, 91, 100, 99, 98, 97, 96, 103, 102, 101, 105, 104,
)

# Branch channels of the HRNet variants H3R ships LaPa models for.
ARCHES = {"hrnet18": (18, 36, 72, 144), "hrnet32": (32, 64, 128, 256)}
STEM = 64                 # stem convs and layer1 Bottleneck planes (x4 expansion out)
MODULES = (1, 1, 4, 3)    # HighResolutionModules per stage
BLOCKS = 4                # residual blocks per branch (layer1 too)


def conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride, 1, bias=False)


def conv_bn(cin: int, cout: int, kernel: int, stride: int, relu: bool) -> nn.Sequential:
    """conv (no bias) + BatchNorm [+ ReLU], indices 0, 1 [, 2] as in the checkpoint."""
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, downsample: Optional[nn.Module] = None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + shortcut)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, downsample: Optional[nn.Module] = None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.downsample = downsample

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        return F.relu(self.bn3(self.conv3(y)) + shortcut)


def residual_stack(block, inplanes: int, planes: int, count: int) -> nn.Sequential:
    """``count`` blocks; the first gets a 1x1 conv+BN shortcut when the channel count changes."""
    out = planes * block.expansion
    downsample = conv_bn(inplanes, out, 1, 1, relu=False) if inplanes != out else None
    return nn.Sequential(block(inplanes, planes, downsample), *[block(out, planes) for _ in range(count - 1)])


class HighResolutionModule(nn.Module):
    """Parallel branches at 1/4, 1/8, ... resolution, then every branch receives the sum of all.

    fuse_layers[i][j] brings branch j to branch i: 1x1 conv + BN + nearest upsample when j is
    lower-resolution, a chain of stride-2 conv3x3 + BN (+ ReLU except the last) when higher,
    None for i == j.
    """

    def __init__(self, channels: Sequence[int], blocks: int):
        super().__init__()
        self.branches = nn.ModuleList([residual_stack(BasicBlock, c, c, blocks) for c in channels])
        fuse = []
        for i, target in enumerate(channels):
            row = []
            for j, source in enumerate(channels):
                if j > i:
                    row.append(nn.Sequential(nn.Conv2d(source, target, 1, 1, 0, bias=False), nn.BatchNorm2d(target),
                                             nn.Upsample(scale_factor=2 ** (j - i), mode="nearest")))
                elif j == i:
                    row.append(None)
                else:
                    steps = [conv_bn(source, source, 3, 2, relu=True) for _ in range(i - j - 1)]
                    steps.append(conv_bn(source, target, 3, 2, relu=False))
                    row.append(nn.Sequential(*steps))
            fuse.append(nn.ModuleList(row))
        self.fuse_layers = nn.ModuleList(fuse)

    def forward(self, xs: List[torch.Tensor]) -> List[torch.Tensor]:
        xs = [branch(x) for branch, x in zip(self.branches, xs)]
        out = []
        for i, row in enumerate(self.fuse_layers):
            total = xs[0] if i == 0 else row[0](xs[0])
            for j in range(1, len(xs)):
                total = total + (xs[j] if i == j else row[j](xs[j]))
            out.append(F.relu(total))
        return out


def transition(previous: Sequence[int], current: Sequence[int]) -> nn.ModuleList:
    """Adapts kept branches (conv3x3+BN+ReLU when the width changes, else None) and grows a new
    lowest-resolution branch from the previous lowest with stride-2 conv3x3+BN+ReLU steps."""
    layers = []
    for i, channels in enumerate(current):
        if i < len(previous):
            layers.append(conv_bn(previous[i], channels, 3, 1, relu=True) if previous[i] != channels else None)
        else:
            last = previous[-1]
            steps = i + 1 - len(previous)
            layers.append(nn.Sequential(*[conv_bn(last, channels if k == steps - 1 else last, 3, 2, relu=True)
                                          for k in range(steps)]))
    return nn.ModuleList(layers)


class HighResolutionNet(nn.Module):
    """H3R's HRNet backbone: [N, 3, 256, 256] normalised -> [N, sum(channels), 64, 64]."""

    def __init__(self, channels: Sequence[int] = ARCHES["hrnet18"], width: Width = Width()):
        super().__init__()
        stem = width(STEM)
        branch = [width(c) for c in channels]
        self.conv1 = nn.Conv2d(3, stem, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.conv2 = nn.Conv2d(stem, stem, 3, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(stem)
        self.layer1 = residual_stack(Bottleneck, stem, stem, BLOCKS)
        previous = [stem * Bottleneck.expansion]
        for stage in (2, 3, 4):
            current = branch[:stage]
            setattr(self, f"transition{stage - 1}", transition(previous, current))
            setattr(self, f"stage{stage}", nn.Sequential(*[HighResolutionModule(current, BLOCKS)
                                                           for _ in range(MODULES[stage - 1])]))
            previous = current
        self.out_channels = sum(branch)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        ys = [self.layer1(x)]
        for stage in (2, 3, 4):
            layers = getattr(self, f"transition{stage - 1}")
            # A new branch grows from the previous stage's lowest-resolution output.
            xs = [ys[i] if layer is None else layer(ys[min(i, len(ys) - 1)]) for i, layer in enumerate(layers)]
            ys = getattr(self, f"stage{stage}")(xs)
        size = tuple(ys[0].shape[-2:])
        # Upsampling the 64x64 branch to 64x64 is the identity; skip it.
        return torch.cat([ys[0]] + [F.interpolate(y, size=size, mode="bilinear", align_corners=False) for y in ys[1:]], 1)


class BinaryHeadBlock(nn.Module):
    def __init__(self, in_channels: int, proj_channels: int, points: int = POINTS):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, proj_channels, 1, bias=False),
            nn.BatchNorm2d(proj_channels),
            nn.ReLU(),
            nn.Conv2d(proj_channels, points * 2, 1, bias=False),
        )

    def forward(self, x):
        n, _, h, w = x.shape
        return self.layers(x).reshape(n, 2, -1, h, w)


def heatmap_to_points(heatmap: torch.Tensor, topk: int = TOPK, stride: float = HEATMAP_STRIDE) -> torch.Tensor:
    """[N, C, H, W] logits -> [N, C, 2] (x, y) input pixels: softmax-weighted mean of the top-k cells."""
    n, c, h, w = heatmap.shape
    scores, index = heatmap.reshape(n, c, 1, h * w).topk(topk, dim=-1)
    col = torch.remainder(index, w)
    row = torch.div(index - col, w, rounding_mode="trunc")  # exact: index - col is a multiple of w
    cells = torch.cat([col, row], dim=2).to(heatmap.dtype)
    return stride * (cells * F.softmax(scores, dim=-1)).sum(-1)


class BinaryHeatmap2Coordinate(nn.Module):
    def __init__(self, topk: int = TOPK, stride: float = HEATMAP_STRIDE):
        super().__init__()
        self.topk, self.stride = topk, stride

    def forward(self, heatmaps):
        return heatmap_to_points(heatmaps[:, 1], self.topk, self.stride)


class HeatmapHead(nn.Module):
    def __init__(self, in_channels: int, points: int = POINTS):
        super().__init__()
        self.decoder = BinaryHeatmap2Coordinate()
        self.head = BinaryHeadBlock(in_channels, in_channels, points)

    def forward(self, features):
        return self.decoder(self.head(features))


class FacialLandmarkDetector(nn.Module):
    """Backbone + heatmap head, named as in torchalign so model.pth loads with strict=True.

    forward: ImageNet-normalised [N, 3, 256, 256] -> [N, 106, 2] (x, y) in input pixels, one pass.
    """

    def __init__(self, arch: str = "hrnet18", width: Width = Width(), points: int = POINTS):
        super().__init__()
        self.arch = arch
        self.backbone = HighResolutionNet(ARCHES[arch], width)
        self.heatmap_head = HeatmapHead(self.backbone.out_channels, points)

    def heatmaps(self, x):
        """The binary-heatmap logits actually decoded: [N, 106, 64, 64]."""
        return self.heatmap_head.head(self.backbone(x))[:, 1]

    def forward(self, x):
        return self.heatmap_head(self.backbone(x))


class H3RLandmarker(nn.Module):
    """The exported graph: aligned 256^2 crop in [-1, 1] -> ``landmarks`` [1, 106, 2] (x, y) in crop
    pixels, as H3R's FacialLandmarkDetector returns them for that crop with no box (flip test on).

    Both passes run as one batch of two; batch-norm uses running statistics, so each sample is
    computed as it would be alone.
    """

    def __init__(self, detector: FacialLandmarkDetector, flip_test: bool = True,
                 flip_order: Sequence[int] = LAPA_FLIP_ORDER):
        super().__init__()
        self.detector = detector.eval()
        self.flip_test = flip_test
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).reshape(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).reshape(1, 3, 1, 1))
        self.register_buffer("flip_order", torch.tensor(list(flip_order), dtype=torch.int64))
        self.register_buffer("reverse", torch.arange(INPUT_SIZE - 1, -1, -1, dtype=torch.int64))
        self.parameter_count = sum(p.numel() for p in detector.parameters())
        self.eval()  # a fresh Module is in training mode; batch-norm must use running statistics

    def normalise(self, crop):
        # [-1, 1] -> [0, 1] (what ToTensor gives) -> ImageNet Normalize. H3R's Resize((256, 256))
        # leaves a 256^2 crop unchanged.
        return ((crop + 1.0) * 0.5 - self.mean) / self.std

    def forward(self, crop):
        x = self.normalise(crop)
        if not self.flip_test:
            return self.detector(x)
        mirrored = torch.index_select(x, 3, self.reverse)
        points = self.detector(torch.cat([x, mirrored], 0))
        direct, back = points[:1], torch.index_select(points[1:], 1, self.flip_order)
        back = torch.cat([(INPUT_SIZE - 1) - back[..., :1], back[..., 1:]], -1)
        return (direct + back) / 2.0


def strip_module_prefix(state: dict) -> dict:
    if state and all(key.startswith("module.") for key in state):
        return {key[len("module."):]: value for key, value in state.items()}
    return state


def arch_of_checkpoint(state: dict) -> str:
    """hrnet18 or hrnet32, from the width of the first high-resolution branch."""
    channels = state["backbone.transition1.0.0.weight"].shape[0]
    for arch, branches in ARCHES.items():
        if branches[0] == channels:
            return arch
    raise ValueError(f"not an H3R HRNet checkpoint: first branch has {channels} channels")


def load_h3r_checkpoint(checkpoint: dict) -> FacialLandmarkDetector:
    """model.pth of an H3R LaPa model (a plain state dict; a 'state_dict' wrapper or DDP
    'module.' prefix is accepted too) -> detector with every tensor loaded, strict."""
    if "state_dict" in checkpoint and isinstance(checkpoint["state_dict"], dict):
        checkpoint = checkpoint["state_dict"]
    state = strip_module_prefix(dict(checkpoint))
    detector = FacialLandmarkDetector(arch_of_checkpoint(state))
    points = state["heatmap_head.head.layers.3.weight"].shape[0] // 2
    if points != POINTS:
        raise ValueError(f"this H3R checkpoint predicts {points} points; FSLSD needs the {POINTS}-point LaPa model")
    detector.load_state_dict(state, strict=True)
    return detector.eval()


def randomize(detector: nn.Module, seed: int) -> None:
    """Deterministic random weights: PyTorch's default init from ``seed`` (done by the caller's
    manual_seed) plus random batch-norm statistics and affines, so no stage is an identity."""
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for module in detector.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.copy_(torch.randn(module.num_features, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(module.num_features, generator=generator) * 0.4 + 0.8)
                module.bias.copy_(torch.randn(module.num_features, generator=generator) * 0.1)


def build_random(seed: int, width: float, arch: str = "hrnet18") -> FacialLandmarkDetector:
    torch.manual_seed(seed)
    detector = FacialLandmarkDetector(arch, Width(width))
    randomize(detector, seed)
    return detector.eval()
