"""What a person looks at during training: sample grids (source | target | y_s | y_f per row, on
fixed pairs) and the loss curves of a run's log, drawn with PIL (no plotting library needed).

Every image written here is labelled, in its XMP metadata, as a synthetic face swap: the same
IPTC DigitalSourceType and description the SDK's outputs carry.
"""
from __future__ import annotations

import json
import math
import os

import torch
from PIL import Image, ImageDraw, PngImagePlugin

DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
LABEL = "Synthetic face swap made with fslsd (FSLSD or MegaFS method); not an authentic photograph."
TILE = 256


def synthetic_xmp(tool: str = "fslsd_train") -> str:
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
            f'Iptc4xmpExt:DigitalSourceType="{DIGITAL_SOURCE_TYPE}" xmp:CreatorTool="{tool}">'
            f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{LABEL}</rdf:li></rdf:Alt></dc:description>'
            '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


def save_labelled_png(image: Image.Image, path: str, synthetic: bool = True) -> None:
    """PNG written under a temporary name, then renamed; with the synthetic-media XMP packet."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    info = PngImagePlugin.PngInfo()
    if synthetic:
        info.add_itxt("XML:com.adobe.xmp", synthetic_xmp())
    partial = path + ".partial"
    image.save(partial, format="PNG", pnginfo=info)
    os.replace(partial, path)


def to_tile(tensor: torch.Tensor) -> Image.Image:
    """[3, H, W] in [-1, 1] -> a TILE² RGB image."""
    array = ((tensor.detach().float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(array).resize((TILE, TILE), Image.BILINEAR)


def fixed_pairs(trainer, count: int = 4) -> list:
    """The same pairs at every step: held-out faces when there are any, each onto the next."""
    pool = trainer.eval_faces or trainer.train_faces
    return [(pool[(i + 1) % len(pool)], pool[i % len(pool)]) for i in range(min(count, max(len(pool), 1)))]


def write_grid(trainer, path: str) -> None:
    pairs = fixed_pairs(trainer)
    model = trainer.model
    model.eval()
    rows = []
    with torch.no_grad():
        for source, target in pairs:
            batch = trainer.dataset.batch([(source, target)])
            side, image = model.swap(batch)
            rows.append([to_tile(batch.source[0]), to_tile(batch.target[0]), to_tile(side[0]), to_tile(image[0])])
    model.train()
    grid = Image.new("RGB", (4 * TILE, len(rows) * TILE))
    for r, row in enumerate(rows):
        for c, tile in enumerate(row):
            grid.paste(tile, (c * TILE, r * TILE))
    save_labelled_png(grid, path)


CURVES = ("adv", "id", "lmk", "rec", "st", "total", "d")


def read_log(path: str) -> list:
    with open(path, encoding="utf-8") as file:
        return [record for record in map(json.loads, filter(str.strip, file)) if "total" in record]


def smooth(values: list, window: int) -> list:
    """Trailing mean over `window` steps: a GAN's per-step losses are too noisy to read raw."""
    out, running = [], 0.0
    for i, value in enumerate(values):
        running += value - (values[i - window] if i >= window else 0.0)
        out.append(running / min(i + 1, window))
    return out


def curve(records: list, name: str) -> tuple:
    """(steps, values) of one loss. L_rec is left out of the steps whose batch held no pair it
    applies to (with --reconstruction self, a batch of cross-identity pairs logs 0 for it)."""
    kept = [r for r in records if name != "rec" or r.get("self_swaps", 1) > 0 or r["rec"] != 0]
    return [r["step"] for r in kept], [r[name] for r in kept]


def plot_log(log: str, path: str, window: int = 10) -> dict:
    """One panel per loss (raw in grey, trailing mean over `window` steps in colour); returns each
    loss's mean over its first and over its last `window` logged steps."""
    records = read_log(log)
    if not records:
        raise ValueError(f"{log} has no training steps")
    names = [n for n in CURVES if n in records[0] and curve(records, n)[0]]
    columns, width, height, pad = 4, 300, 190, 34
    rows = math.ceil(len(names) / columns)
    canvas = Image.new("RGB", (columns * width, rows * height), "white")
    draw = ImageDraw.Draw(canvas)
    summary = {}
    for index, name in enumerate(names):
        steps, raw = curve(records, name)
        smoothed = smooth(raw, window)
        head, tail = raw[:window], raw[-window:]
        summary[name] = {"first": sum(head) / len(head), "last": sum(tail) / len(tail), "steps": len(raw)}
        x0, y0 = (index % columns) * width, (index // columns) * height
        low, high = min(raw), max(raw)
        span = (high - low) or 1.0

        def point(step, value):
            x = x0 + pad + (step - steps[0]) / max(steps[-1] - steps[0], 1) * (width - pad - 10)
            return x, y0 + 22 + (1 - (value - low) / span) * (height - 22 - pad)

        draw.rectangle([x0 + pad, y0 + 22, x0 + width - 10, y0 + height - pad], outline=(180, 180, 180))
        draw.line([point(s, v) for s, v in zip(steps, raw)], fill=(205, 205, 205), width=1)
        draw.line([point(s, v) for s, v in zip(steps, smoothed)], fill=(200, 60, 30), width=2)
        draw.text((x0 + pad, y0 + 5), f"{name}: {summary[name]['first']:.4g} -> {summary[name]['last']:.4g} (means of {window} steps)", fill="black")
        draw.text((x0 + 2, y0 + 22), f"{high:.3g}", fill=(90, 90, 90))
        draw.text((x0 + 2, y0 + height - pad - 10), f"{low:.3g}", fill=(90, 90, 90))
        draw.text((x0 + pad, y0 + height - pad + 4), f"step {steps[0]}", fill=(90, 90, 90))
        draw.text((x0 + width - 70, y0 + height - pad + 4), f"{steps[-1]}", fill=(90, 90, 90))
    save_labelled_png(canvas, path, synthetic=False)
    return summary

