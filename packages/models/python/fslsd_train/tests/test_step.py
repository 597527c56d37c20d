"""A training step at the tiny width, with stand-in critics: the objective is the paper's
weighted sum, each flag does what it says, and optimising it on a fixed batch lowers it."""
import unittest

import numpy as np
import torch

from fslsd_reference.fixtures import inner_mask
from fslsd_reference.networks import build_networks
from fslsd_reference.preprocess import landmark_maps
from fslsd_reference.tiny import WIDTH
from fslsd_reference.width import Width
from fslsd_train.critics import stand_ins
from fslsd_train.discriminator import Discriminator
from fslsd_train.losses import LossWeights
from fslsd_train.model import SwapModel
from fslsd_train.step import Batch, discriminator_losses, generator_losses


def batch(self_swap):
    generator = torch.Generator().manual_seed(4)
    points = np.random.default_rng(4).uniform(60, 196, size=(2, 106, 2))
    target = torch.rand(1, 3, 1024, 1024, generator=generator) * 2 - 1
    source = target.clone() if self_swap else torch.rand(1, 3, 1024, 1024, generator=generator) * 2 - 1
    return Batch(
        source_wplus=torch.randn(1, 18, 512, generator=generator), target_wplus=torch.randn(1, 18, 512, generator=generator),
        maps=landmark_maps(points[0], points[1]), source=source, target=target,
        mask=torch.from_numpy(inner_mask().astype(np.float32) / 255.0)[None, None], self_swap=torch.tensor([self_swap]))


class StepTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        cls.model = SwapModel(build_networks(Width(WIDTH))).train()
        cls.critics = stand_ins(0)
        cls.discriminator = Discriminator(1024, Width(WIDTH))

    def test_the_total_is_the_papers_weighted_sum_and_reconstruction_follows_its_flag(self):
        weights = LossWeights()
        with torch.no_grad():
            cross = generator_losses(self.model, self.critics, self.discriminator, batch(False), weights)
            literal = generator_losses(self.model, self.critics, self.discriminator, batch(False), weights, reconstruction="all")
        expected = cross["adv"] + 2 * cross["id"] + 0.1 * cross["lmk"] + 2 * cross["rec"] + 0.2 * cross["st"]
        self.assertAlmostEqual(float(cross["total"]), float(expected), places=5)
        self.assertEqual(float(cross["rec"]), 0.0)  # not a self-swap: no reconstruction by default
        self.assertGreater(float(literal["rec"]), 0.0)
        for name in ("adv", "id", "lmk", "st"):
            self.assertEqual(float(literal[name]), float(cross[name]), name)
            self.assertGreater(float(cross[name]), 0.0, name)

    def test_r1_joins_every_sixteenth_step(self):
        real, fake = torch.rand(1, 3, 1024, 1024) * 2 - 1, torch.rand(1, 3, 1024, 1024) * 2 - 1
        plain = discriminator_losses(self.discriminator, real, fake, step=1)
        lazy = discriminator_losses(self.discriminator, real, fake, step=16)
        self.assertNotIn("r1", plain)
        self.assertAlmostEqual(float(lazy["total"]), float(lazy["d"] + 5 * 16 * lazy["r1"]), places=4)

    def test_optimising_a_fixed_batch_lowers_the_objective(self):
        torch.manual_seed(1)
        model = SwapModel(build_networks(Width(WIDTH))).train()
        optimizer = torch.optim.Adam(model.trainable_parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
        fixed = batch(True)
        history = []
        for _ in range(8):
            terms = generator_losses(model, self.critics, self.discriminator, fixed)
            optimizer.zero_grad(set_to_none=True)
            terms["total"].backward()
            optimizer.step()
            history.append({name: float(value) for name, value in terms.items()})
        print("losses, first -> last step:", {name: f"{history[0][name]:.4g} -> {history[-1][name]:.4g}" for name in history[0]})
        self.assertLess(history[-1]["total"], 0.8 * history[0]["total"])
        self.assertLess(history[-1]["rec"], history[0]["rec"])


if __name__ == "__main__":
    unittest.main()
