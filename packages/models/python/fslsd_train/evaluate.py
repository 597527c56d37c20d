"""Held-out evaluation: how much of the source's identity y_f carries, and how well it keeps the
target's pose and expression.

- identity: cosine similarity of ArcFace embeddings of y_f and x_s (higher is better; 1 = same);
- landmarks: mean distance, in 256² crop pixels, between the 106 points of y_f and of x_t found
  by the landmark critic (lower is better).

Pairs: each held-out face as the target, the next held-out face (in dataset order) as the
source, so the numbers are comparable between checkpoints of one dataset.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def evaluation_pairs(indices: list, count: int) -> list:
    pairs = [(indices[(i + 1) % len(indices)], indices[i]) for i in range(len(indices))]
    return pairs[:count] if count else pairs


def evaluate(model, critics, dataset, indices: list, count: int, device) -> dict:
    model_was_training = model.training
    model.eval()
    identity, landmarks = [], []
    with torch.no_grad():
        for source, target in evaluation_pairs(indices, count):
            batch = dataset.batch([(source, target)])
            _, image = model.swap(batch)
            image = image.clamp(-1, 1)
            identity.append(float(F.cosine_similarity(critics.identity(image), critics.identity(batch.source.to(device)), dim=1)))
            error = (critics.landmarks(image) - critics.landmarks(batch.target.to(device))).norm(dim=-1).mean()
            landmarks.append(float(error))
    model.train(model_was_training)
    return {"pairs": len(identity), "identity_cosine": sum(identity) / len(identity), "landmark_error_px": sum(landmarks) / len(landmarks)}
