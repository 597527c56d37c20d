"""The trainer's reader of `fslsd dataset prepare`'s layout, on the shipped photos as the SDK
prepares them: tensors as written, photos held out whole, pairs a function of (seed, step, rank),
and a dataset it cannot use refused with the fix."""
import json
import os
import shutil
import unittest

import numpy as np
import torch
from PIL import Image

from fslsd_train.dataset import DatasetError, PreparedDataset, draw_pairs

from .prepared import prepared_dataset, scratch


class PreparedDatasetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = prepared_dataset()
        cls.dataset = PreparedDataset(cls.folder)

    def test_reads_every_face_as_written(self):
        self.assertEqual([f.id for f in self.dataset.faces], ["astronaut.png", "astronaut.png@flip", "hopper.jpg", "hopper.jpg@flip"])
        self.assertEqual([f.variant for f in self.dataset.faces], ["original", "flip", "original", "flip"])
        face = self.dataset.load(2)
        folder = os.path.join(self.folder, "faces", "hopper.jpg")
        crop = np.asarray(Image.open(os.path.join(folder, "crop.png")))
        self.assertEqual(list(face["image"].shape), [3, 1024, 1024])
        self.assertAlmostEqual(float(face["image"][1, 300, 700]), crop[300, 700, 1] / 127.5 - 1, places=6)
        self.assertEqual(float(face["mask"][0, 512, 512]), 1.0)  # the face's centre
        self.assertEqual(float(face["mask"][0, 5, 5]), 0.0)
        wplus = np.fromfile(os.path.join(folder, "wplus.f32"), dtype="<f4").reshape(18, 512)
        self.assertTrue(torch.equal(face["wplus"], torch.from_numpy(wplus.copy())))

    def test_a_batch_sets_one_cell_per_found_point_and_none_for_unset_points(self):
        batch = self.dataset.batch([(0, 2), (3, 3)])
        self.assertEqual(list(batch.maps.shape), [2, 212, 256, 256])
        self.assertEqual(batch.self_swap.tolist(), [False, True])
        points = self.dataset.faces[0].landmarks
        found = int(((points[:, 0] >= 0) & (points[:, 1] >= 0)).sum())
        self.assertEqual(float(batch.maps[0, :106].sum()), found)  # mapped-68 leaves 36 points at [-1, -1]
        x, y = points[next(i for i in range(106) if points[i, 0] >= 0)]
        channel = next(i for i in range(106) if points[i, 0] >= 0)
        self.assertEqual(float(batch.maps[0, channel, int(y), int(x)]), 1.0)
        self.assertTrue(torch.equal(batch.target[0], self.dataset.load(2)["image"]))

    def test_holds_out_whole_photos(self):
        train, held = self.dataset.split(0.05)
        self.assertEqual(len(held), 2)
        self.assertEqual(len({self.dataset.faces[i].photo for i in held}), 1)
        self.assertEqual(sorted(train + held), [0, 1, 2, 3])
        self.assertEqual(self.dataset.split(0), ([0, 1, 2, 3], []))

    def test_pairs_depend_on_seed_step_and_rank_only(self):
        first = draw_pairs([0, 1, 2, 3], 64, seed=3, step=10, rank=0, self_swap_ratio=0.5)
        self.assertEqual(first, draw_pairs([0, 1, 2, 3], 64, seed=3, step=10, rank=0, self_swap_ratio=0.5))
        self.assertNotEqual(first, draw_pairs([0, 1, 2, 3], 64, seed=3, step=10, rank=1, self_swap_ratio=0.5))
        self.assertNotEqual(first, draw_pairs([0, 1, 2, 3], 64, seed=3, step=11, rank=0, self_swap_ratio=0.5))
        same = sum(s == t for s, t in first)
        self.assertTrue(20 <= same <= 44, same)  # about half are self-swaps
        self.assertTrue(all(s == t for s, t in draw_pairs([0, 1, 2, 3], 16, 3, 10, 0, self_swap_ratio=1.0)))
        self.assertFalse(any(s == t for s, t in draw_pairs([0, 1, 2, 3], 16, 3, 10, 0, self_swap_ratio=0.0)))

    def test_refuses_what_it_cannot_train_on(self):
        broken = scratch("broken")
        with self.assertRaisesRegex(DatasetError, "fslsd dataset prepare --in PHOTOS"):
            PreparedDataset(broken)
        shutil.copytree(self.folder, broken, dirs_exist_ok=True)
        path = os.path.join(broken, "dataset.json")
        with open(path, encoding="utf-8") as file:
            manifest = json.load(file)

        def write(value):
            with open(path, "w", encoding="utf-8") as file:
                json.dump(value, file)

        write({**manifest, "version": 2})
        with self.assertRaisesRegex(DatasetError, "not an fslsd-dataset version 1"):
            PreparedDataset(broken)
        write(manifest)
        os.remove(os.path.join(broken, "faces", "hopper.jpg", "face.json"))
        with self.assertRaisesRegex(DatasetError, "not finished.*resumes"):
            PreparedDataset(broken)
        write({**manifest, "faces": []})
        with self.assertRaisesRegex(DatasetError, "lists no faces"):
            PreparedDataset(broken)


if __name__ == "__main__":
    unittest.main()
