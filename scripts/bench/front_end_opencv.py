"""OpenCV baseline for the front-end benchmark (scripts/bench/front-end.mjs).

Reads a JSON job as the first line on stdin (frame path, crop->photo affine, 68 crop landmarks,
parameters), then one line per round naming the thread count: each such line runs the same three
operations as fslsd with OpenCV once (align, mask, paste-back into a copy and in place) and
prints their milliseconds as one JSON line. The caller alternates rounds with its own, so both
sides see the machine in the same state (this VM's speed drifts by tens of percent within
seconds). Run with Debian's /usr/bin/python3 and python3-opencv.
"""
import json
import sys
import time

import cv2
import numpy as np


def ms(fn):
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main():
    job = json.loads(sys.stdin.readline())
    frame = cv2.imread(job["frame"], cv2.IMREAD_COLOR)
    size = job["size"]
    a, b, c, d, e, f = (job["toPhoto"][k] for k in "abcdef")
    # crop pixel -> photo pixel; warpAffine with WARP_INVERSE_MAP takes exactly that map.
    to_photo = np.array([[a, b, c], [d, e, f]], dtype=np.float64)
    points = np.array(job["cropLandmarks68"], dtype=np.float64)
    dilation = job["dilation"]
    radius = job["radius"]
    narrow = job["narrow"]
    lift = np.array(job["lift"], dtype=np.float64)
    outline = np.concatenate([points[0:17], points[17:27], points[17:27] + lift])
    hull = cv2.convexHull(np.round(outline).astype(np.int32))

    def align():
        return cv2.warpAffine(frame, to_photo, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT_101)

    def mask():
        region = np.zeros((size, size), np.uint8)
        cv2.fillConvexPoly(region, hull, 1)
        inner = cv2.dilate(region, np.ones((dilation, dilation), np.uint8))
        paste = cv2.dilate(region, np.ones((narrow, narrow), np.uint8)).astype(np.float32)
        paste = cv2.blur(cv2.blur(paste, (2 * radius + 1, 2 * radius + 1)), (2 * radius + 1, 2 * radius + 1))
        paste[inner == 0] = 0
        return inner, paste

    crop = align()
    _, alpha = mask()

    def paste_back(out=None):
        # Like fslsd: only the crop's footprint in the frame is resampled and blended; into a
        # copy of the frame, or (out given) into that picture itself.
        h, w = frame.shape[:2]
        corners = np.array([[-0.5, -0.5, 1], [size - 0.5, -0.5, 1], [-0.5, size - 0.5, 1], [size - 0.5, size - 0.5, 1]]) @ to_photo.T
        x0, y0 = np.maximum(np.floor(corners.min(axis=0)).astype(int), 0)
        x1 = min(int(np.ceil(corners[:, 0].max())), w - 1)
        y1 = min(int(np.ceil(corners[:, 1].max())), h - 1)
        roi = to_photo.copy()
        roi[:, 2] -= (x0, y0)
        rw, rh = x1 - x0 + 1, y1 - y0 + 1
        face = cv2.warpAffine(crop, roi, (rw, rh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        weight = cv2.warpAffine(alpha, roi, (rw, rh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)[..., None]
        if out is None:
            out = frame.copy()
        part = out[y0:y1 + 1, x0:x1 + 1].astype(np.float32)
        out[y0:y1 + 1, x0:x1 + 1] = np.clip(part * (1 - weight) + face.astype(np.float32) * weight + 0.5, 0, 255).astype(np.uint8)
        return out

    work = frame.copy()
    for line in sys.stdin:
        threads = int(line)
        cv2.setNumThreads(threads)
        result = {
            "opencv": cv2.__version__,
            "threads": threads,
            "align": ms(align),
            "mask": ms(mask),
            "pasteBack": ms(paste_back),
            "pasteBackInPlace": ms(lambda: paste_back(work)),
        }
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
