"""The trainable swap at the tiny sets' width: its forward is the reference swap, and gradients
reach exactly the networks the paper trains."""
import unittest

import numpy as np
import torch

from fslsd_reference.fixtures import inner_mask
from fslsd_reference.fuse import SPLITS, fuse
from fslsd_reference.networks import build_networks
from fslsd_reference.preprocess import landmark_maps
from fslsd_reference.tiny import WIDTH
from fslsd_reference.width import Width
from fslsd_train.model import SwapModel


def inputs(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    points = np.random.default_rng(seed).uniform(40, 216, size=(2, 106, 2))
    return (
        torch.randn(1, 18, 512, generator=generator),
        torch.randn(1, 18, 512, generator=generator),
        landmark_maps(points[0], points[1]),
        torch.rand(1, 3, 1024, 1024, generator=generator) * 2 - 1,
        torch.from_numpy(inner_mask().astype(np.float32) / 255.0)[None, None],
    )


class SwapModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        cls.networks = build_networks(Width(WIDTH))

    def test_forward_is_the_reference_swap(self):
        model = SwapModel(self.networks).eval()
        source, target_w, maps, target, mask = inputs()
        with torch.no_grad():
            side, image = model(source, target_w, maps, target, mask)
            n = self.networks
            latent = n.latent_editor(fuse(source, target_w, n.landmark_encoder(maps), SPLITS["official"]))
            expected_side, features = n.generator(latent)
            expected = n.decoder(features, n.target_encoder(target), mask)
        self.assertEqual(list(image.shape), [1, 3, 1024, 1024])
        self.assertTrue(torch.equal(side, expected_side))
        self.assertTrue(torch.equal(image, expected))

    def test_gradients_reach_exactly_the_trained_networks(self):
        for train_generator in (False, True):
            model = SwapModel(self.networks, train_generator=train_generator).train()
            model.zero_grad(set_to_none=True)
            side, image = model(*inputs(1))
            (side.square().mean() + image.square().mean()).backward()
            trained = {id(p) for p in model.trainable_parameters()}
            zero = []
            for name, parameter in model.named_parameters():
                # Frozen: no gradient at all. Trained: a gradient tensor; a few may be all zero at
                # random init (a squeeze-excitation whose ReLU is dead for this input).
                self.assertEqual(parameter.grad is not None, id(parameter) in trained, f"{name} (train_generator={train_generator})")
                if parameter.grad is not None and not bool(parameter.grad.abs().sum() > 0):
                    zero.append(name)
            # Measured: only squeeze-excitation weights (1 channel wide at this width), 24 of 344.
            self.assertTrue(all(".res_layer.5.fc" in name for name in zero), zero)
            self.assertLess(len(zero), len(trained) // 10)
            self.assertEqual(model.generator.training, train_generator)
            self.assertFalse(model.latent_editor.training)

    def test_rejects_an_unknown_split(self):
        with self.assertRaisesRegex(ValueError, "split must be one of"):
            SwapModel(self.networks, split="coarse")


if __name__ == "__main__":
    unittest.main()
