"""Checkpoints in the released on-disk layouts, written by torch.save from the reference's random
weights: what the importer's tests (and `pnpm bench --only import`) read.

    python3 -m fslsd_reference.checkpoints --out DIR [--width W] [--seed S] [--legacy] [--ddp]
                                           [--dtype float32|float16|bfloat16] [--views]
    python3 -m fslsd_reference.checkpoints --hostile DIR      # the bad files the importer must refuse

Files (as released): CELEBA-HQ-1024.pt {encoder_lmk, encoder_target, generator, decoder,
bald_model}; psp_ffhq_encode.pt {state_dict: encoder.* and decoder.*, latent_avg [18, 512], opts};
ftm_final.pth {e, s}; stylegan2-ffhq-config-f.pt {g_ema, latent_avg [512]}; model.pth (H3R, a plain
state dict). The weights are the tiny sets' (seed 1, width 1/16, float16-exact by default) and the
landmarker fixture's (seed 11, width 1/8, float32), so a set imported from them must reproduce
the tiny sets' parity fixtures.
"""

import argparse
import os
import pickle
import sys
import zipfile

import torch

from . import export, h3r, megafs_export

FSLSD_FILE = "CELEBA-HQ-1024.pt"
PSP_FILE = "psp_ffhq_encode.pt"
MEGAFS_FILE = "ftm_final.pth"
STYLEGAN2_FILE = "stylegan2-ffhq-config-f.pt"
H3R_FILE = "model.pth"
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def prepared(state: dict, dtype, ddp: bool, views: bool) -> dict:
    """A state dict as a training script would hold it: cast, 'module.'-prefixed under DDP, and
    (``views``) with tensors that are views: one at a storage offset, one transposed."""
    out = {}
    for index, (key, value) in enumerate(state.items()):
        value = value.detach().clone()
        if value.dtype.is_floating_point:
            value = value.to(dtype)
        if views and value.dim() == 2 and value.shape[0] > 1 and value.shape[1] > 1 and index % 2 == 0:
            value = value.t().contiguous().t()  # same values, strides (1, rows)
        elif views and value.dim() >= 1 and value.numel() > 1 and index % 3 == 0:
            holder = torch.zeros(value.numel() + 7, dtype=value.dtype)
            holder[5:5 + value.numel()] = value.reshape(-1)
            value = holder[5:5 + value.numel()].view(value.shape)  # storage offset 5, storage longer than the tensor
        out[("module." if ddp else "") + key] = value
    return out


def write(checkpoint: dict, path: str, legacy: bool) -> None:
    partial = path + ".partial"
    torch.save(checkpoint, partial, _use_new_zipfile_serialization=not legacy)
    os.replace(partial, path)


def write_all(out: str, width: float, seed: int, storage: str, legacy: bool, ddp: bool, dtype: str, views: bool, only=None) -> list:
    os.makedirs(out, exist_ok=True)
    cast = DTYPES[dtype]
    networks = export.build_reference(seed, width, storage)
    fslsd = {key: prepared(getattr(networks, name).state_dict(), cast, ddp, views)
             for key, name in (("encoder_lmk", "landmark_encoder"), ("encoder_target", "target_encoder"),
                               ("generator", "generator"), ("decoder", "decoder"), ("bald_model", "latent_editor"))}
    psp_state = {f"encoder.{k}": v for k, v in networks.psp_encoder.encoder.state_dict().items()}
    psp_state.update({f"decoder.{k}": v for k, v in networks.generator.state_dict().items()})  # pSp ships its decoder too
    psp = {"state_dict": prepared(psp_state, cast, ddp, views), "latent_avg": networks.psp_encoder.latent_avg.clone().to(cast),
           "opts": {"encoder_type": "GradualStyleEncoder", "input_nc": 3, "output_size": 1024, "learning_rate": 0.0001,
                    "start_from_latent_avg": True, "board_interval": 50, "train_decoder": False, "lpips_lambda": 0.8,
                    "stylegan_weights": None, "checkpoint_path": None, "exp_dir": "", "label_nc": 0, "dataset_type": "ffhq_encode"}}
    if only and not ({MEGAFS_FILE, STYLEGAN2_FILE} & set(only)):
        mega = None
    else:
        mega = megafs_export.build_reference(seed, width, storage, "ftm")
    megafs = mega and {"e": prepared(mega.encoder.state_dict(), cast, ddp, views), "s": prepared(mega.transfer.state_dict(), cast, ddp, views)}
    stylegan2 = mega and {"g_ema": prepared(mega.generator.state_dict(), cast, ddp, views), "latent_avg": torch.randn(512).to(cast)}
    # The landmarker fixture's weights (fixtures/landmarker-106-tiny.onnx: seed 11, width 1/8, float32).
    detector = h3r.build_random(11, 0.125)
    landmarker = prepared(detector.state_dict(), cast, ddp, views)
    written = []
    for name, checkpoint in ((FSLSD_FILE, fslsd), (PSP_FILE, psp), (MEGAFS_FILE, megafs), (STYLEGAN2_FILE, stylegan2),
                             (H3R_FILE, landmarker)):
        if only and name not in only:
            continue
        write(checkpoint, os.path.join(out, name), legacy)
        written.append(os.path.join(out, name))
    return written


class System:
    """Pickles as a call of os.system: what a hostile checkpoint does to torch.load without weights_only."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/fslsd-pwned",))


def write_hostile(out: str) -> list:
    """Bad files, each one the importer must refuse with a typed error."""
    os.makedirs(out, exist_ok=True)
    small = {"weight": torch.ones(2, 2)}
    files = {}
    torch.save({"encoder_lmk": small, "hook": System()}, os.path.join(out, "os-system.pt"))
    files["os-system.pt"] = "pickle calls os.system"
    torch.save({"encoder_lmk": small, "hook": System()}, os.path.join(out, "os-system-legacy.pt"), _use_new_zipfile_serialization=False)
    files["os-system-legacy.pt"] = "legacy pickle calls os.system"
    torch.save({"weight": torch.ones(64, 64)}, os.path.join(out, "small.pt"))
    files["small.pt"] = "a valid file, cut below"
    whole = os.path.join(out, "small.pt")
    data = open(whole, "rb").read()
    open(os.path.join(out, "truncated.pt"), "wb").write(data[: len(data) // 2])
    files["truncated.pt"] = "zip cut in half"
    open(os.path.join(out, "empty.pt"), "wb").close()
    files["empty.pt"] = "0 bytes"
    open(os.path.join(out, "not-a-checkpoint.pt"), "wb").write(b"GIF89a" + bytes(200))
    files["not-a-checkpoint.pt"] = "wrong magic"
    with zipfile.ZipFile(os.path.join(out, "no-pickle.pt"), "w") as archive:
        archive.writestr("archive/version", "3\n")
    files["no-pickle.pt"] = "a zip without data.pkl"
    # H3R landmarkers (small) with one thing wrong each: what a checkpoint of another network,
    # width or training script looks like to the importer.
    state = h3r.build_random(11, 0.125).state_dict()
    first = next(iter(state))
    variants = {
        "h3r-missing-key.pth": ({k: v for k, v in state.items() if k != first}, f"lacks {first}"),
        "h3r-extra-key.pth": ({**state, "head.extra.weight": torch.zeros(3)}, "an extra tensor"),
        "h3r-wrong-shape.pth": ({**state, first: torch.zeros(1, *state[first].shape[1:])}, f"{first} with 1 output channel"),
        "h3r-float64.pth": ({**state, first: state[first].double()}, f"{first} as float64"),
    }
    for name, (variant, what) in variants.items():
        torch.save(variant, os.path.join(out, name))
        files[name] = what
    plain = pickle.dumps({"a": 1}, protocol=2)
    open(os.path.join(out, "plain-pickle.pt"), "wb").write(plain)
    files["plain-pickle.pt"] = "a pickle that is not torch's legacy format"
    return [os.path.join(out, name) for name in files]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m fslsd_reference.checkpoints", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="folder for the five checkpoints")
    parser.add_argument("--width", type=float, default=0.0625, help="channel width (default 1/16, the tiny sets')")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--weights", choices=["float32", "float16"], default="float16",
                        help="float16 rounds the weights to float16 values (the tiny sets' weights)")
    parser.add_argument("--legacy", action="store_true", help="torch's pre-1.6 format (_use_new_zipfile_serialization=False)")
    parser.add_argument("--ddp", action="store_true", help="'module.' on every key, as DistributedDataParallel saves")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="float32", help="dtype the floating tensors are saved in")
    parser.add_argument("--views", action="store_true", help="save some tensors as views (storage offsets, transposed strides)")
    parser.add_argument("--only", help="comma-separated file names to write (default all five)")
    parser.add_argument("--hostile", metavar="DIR", help="write the bad files instead")
    args = parser.parse_args(argv)
    if args.hostile:
        for path in write_hostile(args.hostile):
            print(path)
        return 0
    if not args.out:
        parser.error("--out is required (or --hostile DIR)")
    for path in write_all(args.out, args.width, args.seed, args.weights, args.legacy, args.ddp, args.dtype, args.views,
                          args.only.split(",") if args.only else None):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
