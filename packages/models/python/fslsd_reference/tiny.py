"""The tiny reference set shipped in @fslsd/models, and the check that it never drifts.

    python3 -m fslsd_reference.tiny            # regenerate packages/models/tiny + fixtures
    python3 -m fslsd_reference.tiny --check    # re-export into a temp dir, compare with what is shipped

The check also runs the reference's self-tests (official parameter counts, strict loading of
DDP-prefixed checkpoints, the two modulated-conv formulations agree, H3R's parameter names and
strict loading) and ends with the line "N passed, N failed".

Besides the tiny set, this writes fixtures/landmarker-106-tiny.onnx (a random-init H3R
landmarker, width 0.125, seed 11) and fixtures/landmarker-106-tiny.json (its manifest entry,
the test input and the points the PyTorch reference computes for it).
"""

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

from PIL import Image

from . import architecture, export, fixtures, h3r, megafs, megafs_export
from .preprocess import image_to_tensor
from .networks import build_networks, load_fslsd_checkpoint, load_psp_checkpoint, parameter_count, FSLSD_CHECKPOINT_KEYS
from .stylegan2 import ModulatedConv2d

SEED = 1
WIDTH = 0.0625
WEIGHTS = "float16"
# The landmarker fixture. Seed 11 because, of seeds 1..30 at this width, it leaves the widest
# smallest gap (2.1e-5, logits have std ~1) between the 9th and 10th largest logit of any heatmap
# on the fixture input: random heatmaps are flat, and a runtime that swapped those two cells would
# move a point. The gap is recorded in the fixture as minTopkMargin.
H3R_SEED = 11
H3R_WIDTH = 0.125
H3R_FIXTURE = "landmarker-106-tiny"
H3R_SAMPLE = "astronaut.png"
PACKAGE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OFFICIAL_PARAMETERS = {
    "psp_encoder": 267_136_704, "landmark_encoder": 108_554_496, "latent_editor": 4_727_808,
    "generator": 30_370_060, "target_encoder": 8_647_232, "decoder": 14_941_619,
}
# H3R LaPa hrnet18_256x256_p2 (baoshengyu/H3R models/lapa/hrnet18_256x256_p2/model.pth) at width 1.
# 9,692,940 parameters: the H3R README gives 9.69M for HRNet-W18 on LaPa (and 9.67M for the 68-point
# 300W model: 20,520 fewer = 270 x 2 x (106 - 68) head weights). 1837 state-dict entries (919
# parameters + 918 batch-norm buffers). The digest is over "name [shape]" lines in state-dict order;
# it equals the digest of torchalign's own FacialLandmarkDetector (hrnet18, OUT_CHANNEL 106) built
# from H3R's source at commit 52a8bde, which has the same 1837 keys, order and shapes; H3R's api.py
# loads model.pth into that model with strict=True. (The file, 39,287,626 bytes per its git-lfs pointer, holds
# 38.9 MB of tensors.)
H3R_OFFICIAL = {"parameters": 9_692_940, "entries": 1837,
                "names": "4afdd4402716fc78e1ec4806fa50b3eff3d0c803195f8c075789ef7cb7c2cbb1"}


MEGAFS_FOLDER = "tiny-megafs"
MEGAFS_TYPE = "ftm"


def generate_megafs(package: str, log=print) -> None:
    """tiny-megafs/ (MegaFS with the ftm transfer module, same seed, width and storage as the FSLSD
    set) and fixtures/megafs-parity.json."""
    networks = megafs_export.build_reference(SEED, WIDTH, WEIGHTS, MEGAFS_TYPE)
    provenance = {"kind": "random-init", "seed": SEED, "width": WIDTH, "torch": torch.__version__,
                  "command": "python3 -m fslsd_reference.tiny"}
    megafs_export.export_set(networks, os.path.join(package, MEGAFS_FOLDER), WEIGHTS, "tiny-megafs", megafs_export.LICENCE_RANDOM,
                             provenance, log=log)
    megafs_export.fixtures(os.path.join(package, "assets", "samples"), os.path.join(package, "fixtures"), SEED, WIDTH, WEIGHTS, MEGAFS_TYPE)


# Weightless architecture graphs: full size in architectures/ (what `fslsd models import` fills),
# and at the tiny sets' widths in fixtures/architectures/ (what the importer's tests fill from
# torch-written checkpoints of the tiny sets' weights).
FULL_ARCHITECTURES = ("fslsd", "megafs-ftm", "megafs-injection", "megafs-lcr", "landmarker-106")
TEST_ARCHITECTURES = (("fslsd", WIDTH), ("megafs-ftm", WIDTH), ("landmarker-106", H3R_WIDTH))


def generate_architectures(package: str, full: bool = True, log=print) -> None:
    for set_id, width in TEST_ARCHITECTURES:
        architecture.write_architecture(set_id, width, os.path.join(package, "fixtures", "architectures", set_id), log)
    if full:
        for set_id in FULL_ARCHITECTURES:
            architecture.write_architecture(set_id, 1.0, os.path.join(package, "architectures", set_id), log)


def generate(package: str, log=print, full_architectures: bool = True) -> None:
    generate_architectures(package, full_architectures, log=log)
    generate_megafs(package, log=log)
    networks = export.build_reference(SEED, WIDTH, WEIGHTS)
    provenance = {"kind": "random-init", "seed": SEED, "width": WIDTH, "torch": torch.__version__,
                  "command": "python3 -m fslsd_reference.tiny"}
    export.export_networks(networks, os.path.join(package, "tiny"), WEIGHTS, "tiny", export.LICENCE_RANDOM, provenance, log=log)
    fixtures.main(["--samples", os.path.join(package, "assets", "samples"), "--out", os.path.join(package, "fixtures"),
                   "--seed", str(SEED), "--width", str(WIDTH), "--weights", WEIGHTS])
    generate_landmarker(package, log=log)


def landmarker_input(package: str) -> np.ndarray:
    """The fixture's crop: the 1024^2 sample shrunk to 256^2 by PIL's bilinear filter, uint8 RGB."""
    image = Image.open(os.path.join(package, "assets", "samples", H3R_SAMPLE)).convert("RGB")
    return np.asarray(image.resize((256, 256), Image.Resampling.BILINEAR))


def generate_landmarker(package: str, log=print) -> None:
    """fixtures/landmarker-106-tiny.onnx and .json."""
    torch.set_grad_enabled(False)
    out = os.path.join(package, "fixtures")
    os.makedirs(out, exist_ok=True)
    landmarker = h3r.H3RLandmarker(h3r.build_random(H3R_SEED, H3R_WIDTH))
    entry = export.export_landmarker(landmarker, os.path.join(out, H3R_FIXTURE + ".onnx"), "float32", log=log)
    rgb = landmarker_input(package)
    crop = image_to_tensor(rgb)
    points = landmarker(crop)
    normalised = landmarker.normalise(crop)
    both = torch.cat([normalised, torch.flip(normalised, [3])])
    passes = landmarker.detector(both)
    top = landmarker.detector.heatmaps(both).flatten(2).topk(h3r.TOPK + 1, dim=-1).values
    fixture = {
        "about": "Random-init H3R landmarker (untrained: the points mean nothing) and what the PyTorch reference "
                 "computes for one input, for ONNX parity checks. Regenerate: cd packages/models/python && "
                 "python3 -m fslsd_reference.tiny",
        "model": entry,
        "reference": {"seed": H3R_SEED, "width": H3R_WIDTH, "arch": landmarker.detector.arch, "weights": "float32",
                      "flipTest": landmarker.flip_test, "torch": torch.__version__},
        "input": {
            "image": f"assets/samples/{H3R_SAMPLE}",
            "resize": "PIL Image.resize((256, 256), BILINEAR) of the 1024x1024 RGB image, uint8",
            "tensor": "crop = (rgb / 255 - 0.5) / 0.5, NCHW float32 [1, 3, 256, 256]",
            "rgbSha256": hashlib.sha256(np.ascontiguousarray(rgb).tobytes()).hexdigest(),
            "rgbSample": fixtures.encode(rgb[::32, ::32].astype(np.float32)),
        },
        "outputs": {
            "landmarks": fixtures.encode(points[0]),
            "direct": fixtures.encode(passes[0]),
            "mirroredRaw": fixtures.encode(passes[1]),
            "minTopkMargin": float((top[..., h3r.TOPK - 1] - top[..., h3r.TOPK]).min()),
        },
        "tolerance": {"landmarksMaxAbs": 1e-4},
    }
    path = os.path.join(out, H3R_FIXTURE + ".json")
    with open(path + ".partial", "w") as handle:
        json.dump(fixture, handle, indent=1)
        handle.write("\n")
    os.replace(path + ".partial", path)


def digest(path: str) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


# How far the reference's own numbers move between machines that compute the same thing: Debian's
# reference BLAS vs OpenBLAS, 1 vs 2 threads (python3 -m fslsd_reference.tiny --spread measures it).
# Each tolerance is a few times the largest spread measured; a quantity not named keeps 1e-6.
# A change of the reference itself (one weight moved by 1e-3) moves these by far more.
SPREAD_TOLERANCE = {
    "sourceSmall": 1e-6, "sourceWPlus": 2e-5, "targetWPlus": 2e-5, "direction": 1e-5, "fused": 2e-5, "latent": 2e-5,
    "sideOutput": 5e-5, "image": 2e-5, "maskPyramid": 1e-6, "landmarks": 2e-4, "direct": 2e-4, "mirroredRaw": 2e-4,
    "minTopkMargin": 2e-4,
    # MegaFS (not yet measured with --spread: set at the FSLSD figures of the same kind of quantity).
    "sourceCodes": 2e-5, "targetCodes": 2e-5, "codes": 2e-5, "structure": 2e-5, "pixels": 5e-5, "refined": 5e-5,
    "soft": 1e-5, "blended": 5e-4, "refinedBlended": 5e-4,
}


def compare_fixture(shipped: str, fresh: str, spreads: dict = None) -> list:
    """Names and shapes exactly; numbers within SPREAD_TOLERANCE of the quantity they belong to.

    With `spreads`, records the largest difference found per quantity instead of judging it.
    """
    problems = []

    def tolerance_of(where):
        parts = [p.split("[")[0] for p in where.split(".")]
        for part in reversed(parts):
            if part in SPREAD_TOLERANCE:
                return part, SPREAD_TOLERANCE[part]
        return parts[-1], 1e-6

    def judge(where, error):
        name, limit = tolerance_of(where)
        if spreads is not None:
            spreads[name] = max(spreads.get(name, 0.0), error)
        elif error > limit:
            problems.append(f"{where}: max abs difference {error:.3g} > {limit:g}, beyond the spread between BLAS "
                            "libraries and thread counts: the reference computes something else now")

    def walk(a, b, where):
        if isinstance(a, dict) and a.get("dtype") == "uint8":
            if a != b:
                problems.append(f"{where}: the bytes differ")
            return
        if isinstance(a, dict) and "data" in a and "shape" in a:
            if a["shape"] != b.get("shape"):
                problems.append(f"{where}: shape {a['shape']} vs {b.get('shape')}")
                return
            x = np.frombuffer(base64.b64decode(a["data"]), dtype="<f4")
            y = np.frombuffer(base64.b64decode(b["data"]), dtype="<f4")
            judge(where, float(np.max(np.abs(x - y))) if x.size else 0.0)
        elif isinstance(a, dict):
            if set(a) != set(b):
                problems.append(f"{where}: keys differ")
                return
            for key in a:
                walk(a[key], b[key], f"{where}.{key}")
        elif isinstance(a, list) and a and isinstance(a[0], (dict, list)):
            if len(a) != len(b):
                problems.append(f"{where}: length differs")
                return
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{where}[{i}]")
        elif isinstance(a, float) and isinstance(b, (int, float)):
            judge(where, abs(a - b) / max(1.0, abs(a)))
        elif a != b:
            if where.endswith((".atUpper", ".atLower")) and isinstance(a, int) and isinstance(b, int) and abs(a - b) <= 2:
                return  # a raw value within rounding of the clamp bound may land either side
            problems.append(f"{where}: {a!r} vs {b!r}")

    walk(json.load(open(shipped)), json.load(open(fresh)), "parity")
    return problems


# name -> (folder holding its libblas.so.3, the Debian package that installs it)
BLAS = {"reference": ("/usr/lib/x86_64-linux-gnu/blas", "libblas3"),
        "openblas": ("/usr/lib/x86_64-linux-gnu/openblas-pthread", "libopenblas0-pthread")}


def measure_spread(package: str) -> dict:
    """Regenerates the fixtures under each BLAS library and thread count; the largest difference
    per quantity from the shipped fixtures. Needs both libblas.so.3 builds installed."""
    spreads = {}
    with tempfile.TemporaryDirectory() as scratch:
        for blas, (folder, package) in BLAS.items():
            if not os.path.exists(os.path.join(folder, "libblas.so.3")):
                print(f"skipping {blas}: {folder}/libblas.so.3 missing (apt-get install {package})")
                continue
            for threads in (1, 2):
                out = os.path.join(scratch, f"{blas}-{threads}")
                os.makedirs(out)
                os.symlink(os.path.join(package, "assets"), os.path.join(out, "assets"))
                env = dict(os.environ, LD_LIBRARY_PATH=folder, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
                code = ("import sys; from fslsd_reference import tiny, fixtures; "
                        "fixtures.main(['--samples', sys.argv[1] + '/assets/samples', '--out', sys.argv[1] + '/fixtures']); "
                        "tiny.generate_landmarker(sys.argv[1], log=lambda m: None)")
                subprocess.run([sys.executable, "-c", code, out], check=True, env=env, cwd=os.path.dirname(os.path.dirname(__file__)),
                               stdout=subprocess.DEVNULL)
                for name in ("parity.json", H3R_FIXTURE + ".json"):
                    run = {}
                    compare_fixture(os.path.join(package, "fixtures", name), os.path.join(out, "fixtures", name), run)
                    for key, value in run.items():
                        spreads[key] = max(spreads.get(key, 0.0), value)
                    print(f"{blas}, {threads} thread(s), {name}: " + ", ".join(f"{k} {v:.2e}" for k, v in sorted(run.items()) if v))
    return spreads


def self_tests():
    """(name, passed, detail) for the reference's own invariants."""
    torch.manual_seed(0)
    results = []
    full = build_networks()
    counts = {name: parameter_count(module) for name, module in full.items()}
    results.append(("official parameter counts", counts == OFFICIAL_PARAMETERS, str(counts)))

    # A checkpoint laid out like CELEBA-HQ-1024.pt (saved from DDP) and like psp_ffhq_encode.pt.
    checkpoint = {key: {f"module.{k}": v.clone() for k, v in getattr(full, name).state_dict().items()}
                  for key, name in FSLSD_CHECKPOINT_KEYS.items()}
    psp_checkpoint = {"state_dict": {f"encoder.{k}": v for k, v in full.psp_encoder.encoder.state_dict().items()},
                      "latent_avg": torch.randn(18, 512)}
    fresh = build_networks()
    try:
        load_fslsd_checkpoint(fresh, checkpoint)
        load_psp_checkpoint(fresh.psp_encoder, psp_checkpoint)
        same = torch.equal(fresh.generator.noises.noise_16, full.generator.noises.noise_16)
        results.append(("strict loading of DDP-prefixed FSLSD + pSp checkpoints", same, "noise buffers carried over" if same else "mismatch"))
    except Exception as error:  # noqa: BLE001 - reported as a failed check
        results.append(("strict loading of DDP-prefixed FSLSD + pSp checkpoints", False, repr(error)))
    del full, fresh, checkpoint, psp_checkpoint

    results.extend(h3r_self_tests())
    results.extend(megafs_self_tests())

    with torch.no_grad():
        for upsample in (False, True):
            conv = ModulatedConv2d(16, 8, 3, upsample=upsample)
            x, style = torch.randn(2, 16, 9, 9), torch.randn(2, 512)
            error = float((conv(x, style) - conv.forward_per_sample_weights(x, style)).abs().max())
            results.append((f"modulated conv, activation form == per-sample weights (upsample={upsample})", error < 1e-5, f"max abs {error:.2e}"))
        # The opt-in sub-pixel export formulation (export --upsample subpixel) against ConvTranspose.
        networks = export.build_reference(SEED, WIDTH, "float32")
        wplus = torch.randn(1, 18, 512)
        side, features = networks.generator(wplus)
        side_fast, features_fast = export.export_formulation(networks.generator, "subpixel")(wplus)
        error = max(float((a - b).abs().max()) for a, b in zip([side, *features], [side_fast, *features_fast]))
        results.append(("generator: sub-pixel upsampling == ConvTranspose", error < 1e-4, f"max abs {error:.2e}"))
        blends = [f * 0.5 for f in features]
        error = float((networks.decoder.forward_blended(blends) - export.export_formulation(networks.decoder, "subpixel").forward_blended(blends)).abs().max())
        results.append(("decoder: sub-pixel upsampling == ConvTranspose", error < 1e-5, f"max abs {error:.2e}"))
    return results


def megafs_self_tests():
    """MegaFS: the released modules' parameter counts, strict loading of checkpoints laid out as
    released ({ftm,injection,lcr}_final.pth with 'e' and 's'; rosinality's 'g_ema'), the swapped
    checkpoint named in the error, and the 4x reduction equal to OpenCV's when it is installed."""
    torch.manual_seed(0)
    results = []
    counts = megafs.parameter_counts()
    results.append(("MegaFS parameter counts equal the released modules'", counts == megafs.RELEASED_PARAMETERS, str(counts)))
    problems = []
    for typ in megafs.TRANSFER_TYPES:
        original = megafs.build_megafs(typ, megafs.Width(0.125))
        checkpoint = {"e": {k: v.clone() for k, v in original.encoder.state_dict().items()},
                      "s": {k: v.clone() for k, v in original.transfer.state_dict().items()}}
        fresh = megafs.build_megafs(typ, megafs.Width(0.125))
        try:
            megafs.load_megafs_checkpoint(fresh, checkpoint)
            megafs.load_stylegan2_checkpoint(fresh.generator, {"g_ema": original.generator.state_dict(), "latent_avg": torch.zeros(512)})
            for name, module in original.items():
                theirs = getattr(fresh, name).state_dict()
                if not all(torch.equal(value, theirs[key]) for key, value in module.state_dict().items()):
                    problems.append(f"{typ}: {name} differs after loading")
        except Exception as error:  # noqa: BLE001 - reported as a failed check
            problems.append(f"{typ}: {error!r}")
        if typ == "lcr" and checkpoint["s"]:
            problems.append("lcr: the transfer state is not empty")
    try:
        megafs.load_megafs_checkpoint(megafs.build_megafs("lcr", megafs.Width(0.125)), {"g_ema": {}})
        problems.append("a StyleGAN2 checkpoint given as the MegaFS one was accepted")
    except KeyError as error:
        if "--stylegan2" not in str(error):
            problems.append(f"the swapped-checkpoint error does not name the flag: {error}")
    results.append(("MegaFS strict loading of released-layout checkpoints (ftm, injection, lcr, g_ema)", not problems, "; ".join(problems)))
    rgb = np.random.default_rng(3).integers(0, 256, (1024, 1024, 3), dtype=np.uint8)
    ours = megafs.resize_to_input(rgb)
    try:
        import cv2
        theirs = cv2.resize(rgb, (256, 256))
        results.append(("MegaFS 1024 -> 256 resize equals cv2.resize INTER_LINEAR", np.array_equal(ours, theirs),
                         f"{int((ours != theirs).sum())} values differ"))
    except ImportError:
        results.append(("MegaFS 1024 -> 256 resize equals cv2.resize INTER_LINEAR (cv2 absent: checked against its formula)",
                        np.array_equal(ours, ((rgb.astype(np.int32).reshape(256, 4, 256, 4, 3)[:, 1:3, :, 1:3].sum(axis=(1, 3)) + 2) >> 2)), ""))
    return results


def h3r_self_tests():
    torch.manual_seed(0)
    results = []
    detector = h3r.FacialLandmarkDetector()
    state = detector.state_dict()
    names = hashlib.sha256("\n".join(f"{k} {list(v.shape)}" for k, v in state.items()).encode()).hexdigest()
    found = {"parameters": parameter_count(detector), "entries": len(state), "names": names}
    results.append(("H3R hrnet18 LaPa: parameter count and state-dict names match the released model.pth",
                    found == H3R_OFFICIAL, "" if found == H3R_OFFICIAL else str(found)))
    # model.pth as released (a plain state dict) and as saved from DataParallel.
    original = {k: torch.randn(v.shape) if v.is_floating_point() else v.clone() for k, v in state.items()}
    problems = []
    for label, checkpoint in (("plain", dict(original)), ("module.-prefixed", {f"module.{k}": v for k, v in original.items()})):
        try:
            loaded = h3r.load_h3r_checkpoint(checkpoint).state_dict()
            if list(loaded) != list(original) or not all(torch.equal(loaded[k], original[k]) for k in original):
                problems.append(f"{label}: tensors differ")
        except Exception as error:  # noqa: BLE001 - reported as a failed check
            problems.append(f"{label}: {error!r}")
    results.append(("H3R strict state-dict round trip (plain and module.-prefixed)", not problems, "; ".join(problems)))
    order = h3r.LAPA_FLIP_ORDER
    involution = sorted(order) == list(range(h3r.POINTS)) and all(order[order[i]] == i for i in range(h3r.POINTS))
    results.append(("H3R LaPa flip order is a pairing of the 106 points", involution, ""))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m fslsd_reference.tiny", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare a fresh export with the shipped files instead of writing")
    parser.add_argument("--spread", action="store_true", help="measure how far the fixtures move across BLAS libraries and thread counts")
    parser.add_argument("--package", default=PACKAGE, help="the @fslsd/models package folder")
    parser.add_argument("--quick", action="store_true", help="skip the full-size architecture graphs (minutes of tracing at 1024^2)")
    args = parser.parse_args(argv)
    if args.spread:
        spreads = measure_spread(args.package)
        for name, value in sorted(spreads.items()):
            limit = SPREAD_TOLERANCE.get(name, 1e-6)
            print(f"{name:14s} spread {value:.2e}  tolerance {limit:.0e}  ({'ok' if value <= limit else 'TOO TIGHT'})")
        return 0
    if not args.check:
        generate(args.package, log=lambda m: print(m, file=sys.stderr))
        return 0
    passed, failed = 0, 0

    def report(name, ok, detail=""):
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        print(f"{'ok  ' if ok else 'FAIL'} {name}{(': ' + detail) if detail else ''}")

    for name, ok, detail in self_tests():
        report(name, ok, detail)
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("assets",):
            os.symlink(os.path.join(args.package, name), os.path.join(scratch, name))
        generate(scratch, log=lambda m: None, full_architectures=not args.quick)
        folders = [os.path.join("fixtures", "architectures", set_id) for set_id, _ in TEST_ARCHITECTURES]
        folders += [] if args.quick else [os.path.join("architectures", set_id) for set_id in FULL_ARCHITECTURES]
        for folder in folders:
            names = sorted(os.listdir(os.path.join(scratch, folder)))
            shipped = os.path.join(args.package, folder)
            bad = [name for name in names if not os.path.exists(os.path.join(shipped, name))
                   or digest(os.path.join(shipped, name)) != digest(os.path.join(scratch, folder, name))]
            extra = sorted(set(os.listdir(shipped)) - set(names)) if os.path.isdir(shipped) else ["(missing)"]
            report(f"{folder}/ re-exports byte-identical ({len(names)} files)", not bad and not extra,
                   f"differs: {bad + extra}; run python3 -m fslsd_reference.tiny" if bad or extra else "")
        shipped_manifest = json.load(open(os.path.join(args.package, "tiny", "manifest.json")))
        for entry in shipped_manifest["models"]:
            fresh_path = os.path.join(scratch, "tiny", entry["file"])
            shipped_path = os.path.join(args.package, "tiny", entry["file"])
            ok = os.path.exists(shipped_path) and digest(shipped_path) == entry["sha256"] == digest(fresh_path)
            report(f"tiny/{entry['file']} re-exports byte-identical", ok, "" if ok else "sha256 differs: run python3 -m fslsd_reference.tiny")
        fresh_manifest = json.load(open(os.path.join(scratch, "tiny", "manifest.json")))
        report("tiny/manifest.json matches a fresh export", fresh_manifest == shipped_manifest)
        shipped_megafs = json.load(open(os.path.join(args.package, MEGAFS_FOLDER, "manifest.json")))
        for entry in shipped_megafs["models"]:
            fresh_path = os.path.join(scratch, MEGAFS_FOLDER, entry["file"])
            shipped_path = os.path.join(args.package, MEGAFS_FOLDER, entry["file"])
            ok = os.path.exists(shipped_path) and digest(shipped_path) == entry["sha256"] == digest(fresh_path)
            report(f"{MEGAFS_FOLDER}/{entry['file']} re-exports byte-identical", ok, "" if ok else "sha256 differs: run python3 -m fslsd_reference.tiny")
        report(f"{MEGAFS_FOLDER}/manifest.json matches a fresh export",
               json.load(open(os.path.join(scratch, MEGAFS_FOLDER, "manifest.json"))) == shipped_megafs)
        problems = compare_fixture(os.path.join(args.package, "fixtures", megafs_export.FIXTURE), os.path.join(scratch, "fixtures", megafs_export.FIXTURE))
        report(f"fixtures/{megafs_export.FIXTURE} matches the reference", not problems, "; ".join(problems[:5]))
        problems = compare_fixture(os.path.join(args.package, "fixtures", "parity.json"), os.path.join(scratch, "fixtures", "parity.json"))
        report("fixtures/parity.json matches the reference", not problems, "; ".join(problems[:5]))
        report("fixtures/parity-mask.png matches", digest(os.path.join(args.package, "fixtures", "parity-mask.png")) ==
               digest(os.path.join(scratch, "fixtures", "parity-mask.png")))
        shipped_onnx = os.path.join(args.package, "fixtures", H3R_FIXTURE + ".onnx")
        fresh_onnx = os.path.join(scratch, "fixtures", H3R_FIXTURE + ".onnx")
        ok = os.path.exists(shipped_onnx) and digest(shipped_onnx) == digest(fresh_onnx)
        report(f"fixtures/{H3R_FIXTURE}.onnx re-exports byte-identical", ok, "" if ok else "sha256 differs: run python3 -m fslsd_reference.tiny")
        shipped_json = os.path.join(args.package, "fixtures", H3R_FIXTURE + ".json")
        problems = (compare_fixture(shipped_json, os.path.join(scratch, "fixtures", H3R_FIXTURE + ".json"))
                    if os.path.exists(shipped_json) else ["missing: run python3 -m fslsd_reference.tiny"])
        report(f"fixtures/{H3R_FIXTURE}.json matches the reference", not problems, "; ".join(problems[:5]))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
