"""Architecture graphs: each network's ONNX graph with no weights in it, every weight an
external-data reference named by the checkpoint key it comes from.

    python3 -m fslsd_reference.architecture --out DIR [--width W] [--sets fslsd,megafs-ftm,...]
    python3 -m fslsd_reference.architecture --fill DIR --fslsd CELEBA-HQ-1024.pt --psp psp_ffhq_encode.pt --out SET

An architecture folder holds ``architecture.json`` and one ``<model-id>.onnx`` per network. In a
graph, an initializer that carries a weight has ``data_location = EXTERNAL`` and
``external_data = {location: <role>}``, where the role names the checkpoint file (``fslsd``,
``psp``, ``megafs``, ``stylegan2``, ``h3r``); its name is the path of the tensor inside that
checkpoint, dict levels joined by ``/`` (``encoder_lmk/body.0.res_layer.1.weight``,
``state_dict/encoder.input_layer.0.weight``). ``architecture.json`` lists, per role, every tensor
the checkpoint must hold (shape and dtype, including ones no graph reads such as batch-norm
counters, so a missing or extra key is caught) and the few initializers that are computed from
keys rather than copied (``derived``): the latent editor's 18 stacked weights and pSp's
``latent_avg`` broadcast to 18 rows. Everything else the exporter used to do to weights (batch-norm
folding, equalised-lr scales) stays in the graph as operators.

Filling a graph (here with torch.load, or in TypeScript with @fslsd/models' importer) removes the
external reference and writes the float32 values as ``raw_data``, after ``name`` as protobuf's
field order puts it. Both fillers therefore write the same bytes; the TypeScript tests check it.
"""

import argparse
import copy
import shutil
import json
import math
import os
import sys
import tempfile
import warnings

import numpy as np
import onnx
import torch
from onnx import TensorProto
from torch import nn

from . import export, h3r, megafs, megafs_export
from .networks import build_networks
from .width import Width

FORMAT = "fslsd-architecture/1"
# The full-size architectures shipped in @fslsd/models (what the exporters fill from checkpoints).
SHIPPED = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "architectures"))
warnings.filterwarnings("ignore", category=UserWarning, module="torch")

# role -> (flag of `fslsd models import` / this command, released file name, what it is)
ROLES = {
    "fslsd": ("--fslsd", "CELEBA-HQ-1024.pt", "FSLSD checkpoint (encoder_lmk, encoder_target, generator, decoder, bald_model)"),
    "psp": ("--psp", "psp_ffhq_encode.pt", "pSp FFHQ encoder (state_dict with encoder.*, latent_avg)"),
    "megafs": ("--megafs", "ftm_final.pth", "MegaFS checkpoint (e: HieRFE, s: face transfer module)"),
    "stylegan2": ("--stylegan2", "stylegan2-ffhq-config-f.pt", "rosinality StyleGAN2 FFHQ 1024 (g_ema)"),
    "h3r": ("--h3r", "model.pth", "H3R LaPa hrnet18 landmarker (a plain state dict)"),
}

DTYPES = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16", torch.int64: "int64"}


def strip_module_prefix(state: dict) -> dict:
    """DistributedDataParallel saves every key of a state dict with a 'module.' prefix."""
    if state and all(isinstance(key, str) and key.startswith("module.") for key in state):
        return {key[len("module."):]: value for key, value in state.items()}
    return state


def scope(role: str, path: list, state: dict, prefix: str = "", exact: bool = True) -> dict:
    """One dict of a checkpoint whose keys (those starting with ``prefix``) must be exactly ``state``'s."""
    return {"role": role, "path": path, "prefix": prefix, "exact": exact,
            "tensors": {prefix + key: {"shape": list(value.shape), "dtype": DTYPES[value.dtype]} for key, value in state.items()}}


def key_name(path: list, key: str) -> str:
    return "/".join([*path, key])


class Binding:
    """How one exported module's state names map to checkpoint tensors."""

    def __init__(self, model_id, module, inputs, input_names, output_names, description, sources, derived=None,
                 parameters=None):
        self.model_id, self.module, self.inputs = model_id, module, inputs
        self.input_names, self.output_names, self.description = input_names, output_names, description
        self.sources = sources  # [(module-state prefix, role, checkpoint path, key prefix)]
        self.derived = derived or {}  # module-state name -> recipe dict
        self.parameters = parameters

    def reference(self, state_name: str):
        """(role, initializer name) for a module-state name, or None for a constant of the wrapper."""
        if state_name in self.derived:
            recipe = self.derived[state_name]
            return recipe["role"], recipe["name"]
        for module_prefix, role, path, key_prefix in self.sources:
            if state_name.startswith(module_prefix):
                return role, key_name(path, key_prefix + state_name[len(module_prefix):])
        return None


def fslsd_bindings(width: Width) -> tuple:
    """(bindings, scopes) for the FSLSD set at ``width``."""
    networks = build_networks(width)
    specs = {spec[0]: spec for spec in export.graph_specs(networks)}
    editor = networks.latent_editor
    layers = len(editor.dense)

    def binding(model_id, sources, derived=None, module=None):
        _, graph_module, inputs, input_names, output_names, description = specs[model_id]
        return Binding(model_id, module or graph_module, inputs, input_names, output_names, description, sources, derived)

    scopes = [
        scope("fslsd", ["encoder_lmk"], networks.landmark_encoder.state_dict()),
        scope("fslsd", ["encoder_target"], networks.target_encoder.state_dict()),
        scope("fslsd", ["generator"], networks.generator.state_dict()),
        scope("fslsd", ["decoder"], networks.decoder.state_dict()),
        scope("fslsd", ["bald_model"], editor.state_dict()),
        scope("psp", ["state_dict"], networks.psp_encoder.encoder.state_dict(), prefix="encoder."),
        {"role": "psp", "path": [], "prefix": "", "exact": False,
         "tensors": {"latent_avg": {"shape": [18, 512], "dtype": "float32", "rows": 512}}},
    ]
    stacked = [key_name(["bald_model"], f"dense.{i}.weight") for i in range(layers)]
    biases = [key_name(["bald_model"], f"dense.{i}.bias") for i in range(layers)]
    bindings = [
        binding("psp-encoder", [("encoder.", "psp", ["state_dict"], "encoder.")],
                {"latent_avg": {"role": "psp", "name": "latent_avg", "transform": "rows", "keys": ["latent_avg"]}}),
        binding("landmark-encoder", [("", "fslsd", ["encoder_lmk"], "")]),
        binding("latent-editor", [], {
            "weight_t": {"role": "fslsd", "name": "bald_model/dense.*.weight (stacked, transposed)", "transform": "stack-transposed",
                         "keys": stacked},
            "bias": {"role": "fslsd", "name": "bald_model/dense.*.bias (stacked)", "transform": "stack", "keys": biases}}),
        binding("generator", [("generator.", "fslsd", ["generator"], "")]),
        binding("target-encoder", [("encoder.", "fslsd", ["encoder_target"], "")]),
        binding("decoder", [("decoder.", "fslsd", ["decoder"], "")]),
    ]
    for item in bindings:
        item.parameters = getattr(item.module, "parameter_count", None) or sum(p.numel() for p in item.module.parameters())
    return bindings, scopes


def megafs_bindings(width: Width, typ: str) -> tuple:
    networks = megafs.build_megafs(typ, width)
    scopes = [
        scope("megafs", ["e"], networks.encoder.state_dict()),
        scope("megafs", ["s"], networks.transfer.state_dict()),
        scope("stylegan2", ["g_ema"], networks.generator.state_dict()),
    ]
    sources = {
        "megafs-encoder": [("encoder.", "megafs", ["e"], "")],
        "megafs-transfer": [("", "megafs", ["s"], "")],
        "megafs-generator": [("generator.", "stylegan2", ["g_ema"], "")],
    }
    bindings = []
    for model_id, module, inputs, input_names, output_names, description in megafs_export.graph_specs(networks):
        item = Binding(model_id, module, inputs, input_names, output_names, description, sources[model_id])
        item.parameters = sum(p.numel() for p in module.parameters())
        bindings.append(item)
    return bindings, scopes


def landmarker_bindings(width: Width) -> tuple:
    detector = h3r.FacialLandmarkDetector("hrnet18", width)
    module = h3r.H3RLandmarker(detector)
    scopes = [scope("h3r", [], detector.state_dict())]
    item = Binding(export.LANDMARKER_ID, module, (torch.zeros(1, 3, 256, 256),), ["crop"], ["landmarks"], export.LANDMARKER_DESCRIPTION,
                   [("detector.", "h3r", [], "")])
    item.parameters = module.parameter_count
    return [item], scopes


SETS = {
    "fslsd": lambda width: fslsd_bindings(width),
    "megafs-ftm": lambda width: megafs_bindings(width, "ftm"),
    "megafs-injection": lambda width: megafs_bindings(width, "injection"),
    "megafs-lcr": lambda width: megafs_bindings(width, "lcr"),
    "landmarker-106": lambda width: landmarker_bindings(width),
}
# The licence a set converted from the released checkpoints carries, and per model where it differs.
SET_LICENCES = {
    "fslsd": (export.LICENCE_OFFICIAL, {}),
    "megafs-ftm": (megafs_export.LICENCE_CONVERTED, {"megafs-encoder": megafs_export.LICENCE_MEGAFS,
                                                     "megafs-transfer": megafs_export.LICENCE_MEGAFS,
                                                     "megafs-generator": megafs_export.LICENCE_STYLEGAN2}),
    "landmarker-106": (export.LICENCE_H3R, {export.LANDMARKER_ID: export.LICENCE_H3R}),
}
SET_LICENCES["megafs-injection"] = SET_LICENCES["megafs-lcr"] = SET_LICENCES["megafs-ftm"]
SET_METHOD = {"fslsd": ("fslsd", None), "megafs-ftm": ("megafs", "ftm"), "megafs-injection": ("megafs", "injection"),
              "megafs-lcr": ("megafs", "lcr"), "landmarker-106": (None, None)}


def distinct_values(item: "Binding", seed: int) -> None:
    """Give every checkpoint tensor a distinct random value. torch.onnx.export merges initializers
    with equal values in eval mode (StyleGAN2's blur kernels are all [1, 3, 3, 1]), and a merged
    initializer would lose its checkpoint key. The wrapper's own constants (H3R's ImageNet mean
    and std) stay in the graph, so they keep their values."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in list(item.module.named_parameters()) + list(item.module.named_buffers()):
            if tensor.dtype.is_floating_point and item.reference(name) is not None:
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.05)


def export_architecture(item: Binding, path: str, log=print) -> dict:
    """Trace ``item`` (batch norm kept as an operator) and replace every weight by a reference."""
    log(f"tracing {item.model_id} ...")
    module = item.module
    distinct_values(item, 7)
    names = dict(list(module.named_parameters()) + list(module.named_buffers()))
    # The trace runs the forward once; a hook keeps its outputs' shapes (a second forward of the
    # generator at 1024^2 would cost another minute).
    captured = []
    hook = module.register_forward_hook(lambda _module, _inputs, result: captured.append(result))
    with tempfile.TemporaryDirectory() as scratch:
        raw = os.path.join(scratch, "raw.onnx")
        with torch.no_grad():
            torch.onnx.export(module, item.inputs, raw, input_names=item.input_names, output_names=item.output_names,
                              opset_version=export.OPSET, do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
        hook.remove()
        model = onnx.load(raw)
    outputs = captured[-1]
    outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    for value, tensor in zip(model.graph.output, outputs):
        dims = value.type.tensor_type.shape.dim
        del dims[:]
        for size in tensor.shape:
            dims.add().dim_value = int(size)
    referenced = 0
    renames = {}
    for initializer in model.graph.initializer:
        if initializer.name not in names:
            if initializer.name.startswith("onnx::") or np.prod(initializer.dims, dtype=np.int64) <= 64:
                continue  # a constant the trace made (a shape, a scalar): it stays in the graph
            raise ValueError(f"{item.model_id}: initializer {initializer.name} is neither a checkpoint tensor nor a small constant")
        reference = item.reference(initializer.name)
        if reference is None:
            continue  # a constant of the wrapper (H3R's ImageNet mean), not a weight
        role, name = reference
        if initializer.data_type != TensorProto.FLOAT:
            raise ValueError(f"{item.model_id}: {initializer.name} is not float32")
        renames[initializer.name] = name
        initializer.name = name
        initializer.ClearField("raw_data")
        del initializer.float_data[:]
        initializer.data_location = TensorProto.EXTERNAL
        entry = initializer.external_data.add()
        entry.key, entry.value = "location", role
        referenced += 1
    for node in model.graph.node:
        for index, name in enumerate(node.input):
            if name in renames:
                node.input[index] = renames[name]
    model.producer_name = "fslsd_reference.export"
    model.doc_string = item.description
    partial = path + ".partial"
    with open(partial, "wb") as handle:
        handle.write(model.SerializeToString())
    os.replace(partial, path)
    contract = {
        "inputs": [export.tensor_contract(v) for v in model.graph.input if v.name in item.input_names],
        "outputs": [export.tensor_contract(v) for v in model.graph.output],
    }
    for tensor in contract["inputs"]:
        if (item.model_id, tensor["name"]) in export.VALUE_RANGES:
            tensor["range"] = export.VALUE_RANGES[(item.model_id, tensor["name"])]
        if (item.model_id, tensor["name"]) in megafs_export.VALUE_RANGES:
            tensor["range"] = megafs_export.VALUE_RANGES[(item.model_id, tensor["name"])]
    derived = [{"name": recipe["name"], "role": recipe["role"], "transform": recipe["transform"], "keys": recipe["keys"]}
               for recipe in item.derived.values()]
    return {
        "id": item.model_id,
        "file": os.path.basename(path),
        "bytes": os.path.getsize(path),
        "sha256": export.sha256_of(path),
        "description": item.description,
        "parameters": int(item.parameters),
        "references": referenced,
        **contract,
        **({"derived": derived} if derived else {}),
    }


VARIANT_FREE = ("megafs-encoder", "megafs-generator")
SHARED = {}  # (model id, width) -> (graph path, entry), within one process


def write_architecture(set_id: str, width: float, out_dir: str, log=print) -> dict:
    os.makedirs(out_dir, exist_ok=True)
    bindings, scopes = SETS[set_id](Width(width))
    method, variant = SET_METHOD[set_id]
    roles = sorted({item["role"] for item in scopes})
    licence, model_licences = SET_LICENCES[set_id]
    models = []
    for item in bindings:
        path = os.path.join(out_dir, f"{item.model_id}.onnx")
        shared = SHARED.get((item.model_id, width))
        if shared and os.path.exists(shared[0]):
            # MegaFS's encoder and generator do not depend on the variant: one trace serves all three.
            shutil.copyfile(shared[0], path)
            models.append(copy.deepcopy(shared[1]))
            continue
        models.append(export_architecture(item, path, log))
        if item.model_id in VARIANT_FREE:
            SHARED[(item.model_id, width)] = (path, copy.deepcopy(models[-1]))
    for model in models:
        if model["id"] in model_licences:
            model["licence"] = model_licences[model["id"]]
    description = {
        "format": FORMAT,
        "set": set_id,
        **({"method": method} if method else {}),
        **({"variant": variant} if variant else {}),
        "width": width,
        "opset": export.OPSET,
        "torch": torch.__version__,
        "licence": licence,
        "command": f"python3 -m fslsd_reference.architecture --sets {set_id} --width {width:g}",
        "checkpoints": {role: {"flag": ROLES[role][0], "file": ROLES[role][1], "description": ROLES[role][2],
                               "scopes": [{k: v for k, v in item.items() if k != "role"} for item in scopes if item["role"] == role]}
                        for role in roles},
        "models": models,
    }
    export.write_json(os.path.join(out_dir, "architecture.json"), description, indent=1)
    return description


# ----- filling, with torch.load: the Python side of the importer ---------------------------------


class CheckpointError(ValueError):
    pass


def resolve_scope(checkpoint, path: list):
    node = checkpoint
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = strip_module_prefix(node[part]) if isinstance(node[part], dict) else node[part]
    return node


def flatten(role: str, checkpoint, description: dict) -> dict:
    """{initializer name: float32 tensor} for one role, every key and shape checked."""
    if isinstance(checkpoint, dict):
        checkpoint = strip_module_prefix(checkpoint)
        if role == "h3r" and isinstance(checkpoint.get("state_dict"), dict):
            checkpoint = strip_module_prefix(checkpoint["state_dict"])
    values = {}
    for item in description["checkpoints"][role]["scopes"]:
        state = resolve_scope(checkpoint, item["path"])
        where = "/".join(item["path"]) or "the top level"
        if not isinstance(state, dict):
            raise CheckpointError(f"{role}: no dict at {where}")
        present = {key: value for key, value in state.items() if key.startswith(item["prefix"]) and torch.is_tensor(value)} \
            if item["exact"] else {key: state[key] for key in item["tensors"] if key in state}
        missing = sorted(set(item["tensors"]) - set(present))
        extra = sorted(set(present) - set(item["tensors"]))
        if missing or extra:
            raise CheckpointError(f"{role}: at {where}, missing {missing[:5]}, extra {extra[:5]}")
        for key, expected in item["tensors"].items():
            tensor = present[key]
            if "rows" in expected:
                if tensor.numel() % expected["rows"] or tensor.numel() // expected["rows"] not in (1, expected["shape"][0]):
                    raise CheckpointError(f"{role}: {key} has shape {list(tensor.shape)}")
            elif list(tensor.shape) != expected["shape"]:
                raise CheckpointError(f"{role}: {key} has shape {list(tensor.shape)}, expected {expected['shape']}")
            floating = expected["dtype"] in ("float32", "float16", "bfloat16")
            if (tensor.dtype in (torch.float32, torch.float16, torch.bfloat16)) != floating or (not floating and DTYPES.get(tensor.dtype) != expected["dtype"]):
                raise CheckpointError(f"{role}: {key} is {tensor.dtype}, expected {expected['dtype']}")
            values[key_name(item["path"], key)] = tensor
    return values


def derive(recipe: dict, values: dict, shape: list) -> torch.Tensor:
    sources = [values[key].float() for key in recipe["keys"]]
    if recipe["transform"] == "stack":
        return torch.stack(sources)
    if recipe["transform"] == "stack-transposed":
        return torch.stack(sources).transpose(1, 2).contiguous()
    if recipe["transform"] == "rows":
        return sources[0].reshape(-1, shape[-1]).expand(*shape).contiguous()
    raise ValueError(recipe["transform"])


def fill_graph(graph_path: str, values: dict, derived: list, out_path: str) -> None:
    model = onnx.load(graph_path, load_external_data=False)
    recipes = {recipe["name"]: recipe for recipe in derived}
    for initializer in model.graph.initializer:
        if initializer.data_location != TensorProto.EXTERNAL:
            continue
        if initializer.name in recipes:
            tensor = derive(recipes[initializer.name], values, list(initializer.dims))
        else:
            tensor = values[initializer.name].float()
        array = np.ascontiguousarray(tensor.detach().numpy(), dtype="<f4")
        if list(array.shape) != list(initializer.dims):
            raise CheckpointError(f"{initializer.name}: shape {list(array.shape)} != {list(initializer.dims)}")
        initializer.ClearField("external_data")
        initializer.ClearField("data_location")
        initializer.raw_data = array.tobytes()
    partial = out_path + ".partial"
    with open(partial, "wb") as handle:
        handle.write(model.SerializeToString())
    os.replace(partial, out_path)


def fill(architecture_dirs: list, checkpoints: dict, out_dir: str, set_name: str = "imported", log=print) -> dict:
    """``checkpoints``: {role: path}. Fills each architecture folder (a set, optionally followed by
    landmarker-106) and writes one model set (ONNX files + manifest.json) into ``out_dir``."""
    descriptions = []
    for folder in architecture_dirs:
        with open(os.path.join(folder, "architecture.json")) as handle:
            descriptions.append((folder, json.load(handle)))
    needed = {role for _, description in descriptions for role in description["checkpoints"]}
    flags = {role: spec["flag"] for _, description in descriptions for role, spec in description["checkpoints"].items()}
    if sorted(needed) != sorted(checkpoints):
        raise CheckpointError(f"these architectures read {sorted(flags.values())}; given {sorted(ROLES[r][0] for r in checkpoints)}")
    values = {}
    for role, path in checkpoints.items():
        description = next(d for _, d in descriptions if role in d["checkpoints"])
        # Plain torch.load, as the exporters always did: Debian's torch 1.13 cannot read pSp's
        # released opts (floats) with weights_only=True. The TypeScript importer's allow-list is
        # the safe path for files you do not trust.
        values.update(flatten(role, torch.load(path, map_location="cpu"), description))
    os.makedirs(out_dir, exist_ok=True)
    entries = []
    for folder, description in descriptions:
        for model in description["models"]:
            log(f"filling {model['id']} ...")
            target = os.path.join(out_dir, model["file"])
            fill_graph(os.path.join(folder, model["file"]), values, model.get("derived", []), target)
            entries.append({"id": model["id"], "file": model["file"], "bytes": os.path.getsize(target), "sha256": export.sha256_of(target),
                            "description": model["description"], "parameters": model["parameters"],
                            "inputs": model["inputs"], "outputs": model["outputs"],
                            **({"licence": model["licence"]} if "licence" in model else {})})
    first = descriptions[0][1]
    manifest = {"format": export.FORMAT, **({"method": first["method"]} if "method" in first else {}),
                **({"variant": first["variant"]} if "variant" in first else {}),
                "set": set_name, "opset": first["opset"], "weightStorage": "float32",
                "licence": first["licence"],
                "provenance": {"kind": "imported", "architectures": [d["set"] for _, d in descriptions], "width": first["width"],
                               "checkpoints": {role: os.path.basename(path) for role, path in sorted(checkpoints.items())},
                               "importer": "fslsd_reference.architecture"},
                "models": entries}
    export.write_json(os.path.join(out_dir, "manifest.json"), manifest)
    return manifest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m fslsd_reference.architecture", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="architecture folder (or, with --fill, the model set to write)")
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)} (default all)")
    parser.add_argument("--width", type=float, default=1.0, help="channel width multiplier (default 1 = released)")
    parser.add_argument("--fill", metavar="DIR", action="append",
                        help="fill the architecture folder DIR from checkpoints instead (repeat: a set, then landmarker-106)")
    for role, (flag, file, what) in ROLES.items():
        parser.add_argument(flag, metavar=file, help=f"with --fill: {what}")
    args = parser.parse_args(argv)
    torch.set_grad_enabled(False)
    log = lambda message: print(message, file=sys.stderr)  # noqa: E731
    if args.fill:
        checkpoints = {role: getattr(args, role) for role in ROLES if getattr(args, role)}
        if not checkpoints:
            parser.error("--fill needs the checkpoints (" + ", ".join(flag for flag, _, _ in ROLES.values()) + ")")
        fill(args.fill, checkpoints, args.out, log=log)
        print(os.path.join(args.out, "manifest.json"))
        return 0
    if not (0 < args.width <= 1) or not math.isfinite(args.width):
        parser.error("--width must be in (0, 1]")
    for set_id in args.sets.split(","):
        if set_id not in SETS:
            parser.error(f"unknown set {set_id!r}; one of {', '.join(SETS)}")
        write_architecture(set_id, args.width, os.path.join(args.out, set_id), log)
        print(os.path.join(args.out, set_id, "architecture.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
