"""The tiny reference set shipped in @fslsd/models, and the check that it never drifts.

    python3 -m fslsd_reference.tiny            # regenerate packages/models/tiny + fixtures
    python3 -m fslsd_reference.tiny --check    # re-export into a temp dir, compare with what is shipped

The check also runs the reference's self-tests (official parameter counts, strict loading of
DDP-prefixed checkpoints, the two modulated-conv formulations agree) and ends with the line
"N passed, N failed".
"""

import argparse
import base64
import hashlib
import json
import os
import sys
import tempfile

import numpy as np
import torch

from . import export, fixtures
from .networks import build_networks, load_fslsd_checkpoint, load_psp_checkpoint, parameter_count, FSLSD_CHECKPOINT_KEYS
from .stylegan2 import ModulatedConv2d

SEED = 1
WIDTH = 0.0625
WEIGHTS = "float16"
PACKAGE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OFFICIAL_PARAMETERS = {
    "psp_encoder": 267_136_704, "landmark_encoder": 108_554_496, "latent_editor": 4_727_808,
    "generator": 30_370_060, "target_encoder": 8_647_232, "decoder": 14_941_619,
}


def generate(package: str, log=print) -> None:
    networks = export.build_reference(SEED, WIDTH, WEIGHTS)
    provenance = {"kind": "random-init", "seed": SEED, "width": WIDTH, "torch": torch.__version__,
                  "command": "python3 -m fslsd_reference.tiny"}
    export.export_networks(networks, os.path.join(package, "tiny"), WEIGHTS, "tiny", export.LICENCE_RANDOM, provenance, log=log)
    fixtures.main(["--samples", os.path.join(package, "assets", "samples"), "--out", os.path.join(package, "fixtures"),
                   "--seed", str(SEED), "--width", str(WIDTH), "--weights", WEIGHTS])


def digest(path: str) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def compare_fixture(shipped: str, fresh: str) -> list:
    """Numbers must agree to 1e-6 (a different BLAS may round differently); names exactly."""
    problems = []

    def walk(a, b, where):
        if isinstance(a, dict) and "data" in a and "shape" in a:
            if a["shape"] != b.get("shape"):
                problems.append(f"{where}: shape {a['shape']} vs {b.get('shape')}")
                return
            x = np.frombuffer(base64.b64decode(a["data"]), dtype="<f4")
            y = np.frombuffer(base64.b64decode(b["data"]), dtype="<f4")
            error = float(np.max(np.abs(x - y))) if x.size else 0.0
            if error > 1e-6:
                problems.append(f"{where}: max abs difference {error:.3g}")
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
        elif isinstance(a, float):
            if abs(a - b) > 1e-6 * max(1.0, abs(a)):
                problems.append(f"{where}: {a} vs {b}")
        elif a != b:
            problems.append(f"{where}: {a!r} vs {b!r}")

    walk(json.load(open(shipped)), json.load(open(fresh)), "parity")
    return problems


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

    with torch.no_grad():
        for upsample in (False, True):
            conv = ModulatedConv2d(16, 8, 3, upsample=upsample)
            x, style = torch.randn(2, 16, 9, 9), torch.randn(2, 512)
            error = float((conv(x, style) - conv.forward_per_sample_weights(x, style)).abs().max())
            results.append((f"modulated conv, activation form == per-sample weights (upsample={upsample})", error < 1e-5, f"max abs {error:.2e}"))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m fslsd_reference.tiny", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare a fresh export with the shipped files instead of writing")
    parser.add_argument("--package", default=PACKAGE, help="the @fslsd/models package folder")
    args = parser.parse_args(argv)
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
        generate(scratch, log=lambda m: None)
        shipped_manifest = json.load(open(os.path.join(args.package, "tiny", "manifest.json")))
        for entry in shipped_manifest["models"]:
            fresh_path = os.path.join(scratch, "tiny", entry["file"])
            shipped_path = os.path.join(args.package, "tiny", entry["file"])
            ok = os.path.exists(shipped_path) and digest(shipped_path) == entry["sha256"] == digest(fresh_path)
            report(f"tiny/{entry['file']} re-exports byte-identical", ok, "" if ok else "sha256 differs: run python3 -m fslsd_reference.tiny")
        fresh_manifest = json.load(open(os.path.join(scratch, "tiny", "manifest.json")))
        report("tiny/manifest.json matches a fresh export", fresh_manifest == shipped_manifest)
        problems = compare_fixture(os.path.join(args.package, "fixtures", "parity.json"), os.path.join(scratch, "fixtures", "parity.json"))
        report("fixtures/parity.json matches the reference", not problems, "; ".join(problems[:5]))
        report("fixtures/parity-mask.png matches", digest(os.path.join(args.package, "fixtures", "parity-mask.png")) ==
               digest(os.path.join(scratch, "fixtures", "parity-mask.png")))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
