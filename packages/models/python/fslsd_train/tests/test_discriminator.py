"""The discriminator: shapes at every size, a gradient for every parameter, and R1 by hand."""
import unittest

import torch

from fslsd_reference.width import Width
from fslsd_train import losses
from fslsd_train.discriminator import Discriminator


class DiscriminatorTest(unittest.TestCase):
    def test_logits_and_gradients_at_1024(self):
        torch.manual_seed(0)
        discriminator = Discriminator(1024, Width(1 / 16))
        images = torch.rand(2, 3, 1024, 1024, requires_grad=True) * 2 - 1
        logits = discriminator(images)
        self.assertEqual(list(logits.shape), [2, 1])
        losses.discriminator_loss(logits, -logits).backward(retain_graph=True)
        missing = [name for name, p in discriminator.named_parameters() if p.grad is None or not bool(p.grad.abs().sum() > 0)]
        self.assertEqual(missing, [])

    def test_the_batch_spread_feature_sees_the_other_samples(self):
        # Minibatch stddev: the same image scores differently beside a different companion.
        torch.manual_seed(1)
        discriminator = Discriminator(64, Width(1 / 8)).eval()
        image, a, b = (torch.rand(1, 3, 64, 64) * 2 - 1 for _ in range(3))
        with torch.no_grad():
            first = discriminator(torch.cat([image, a]))[0]
            second = discriminator(torch.cat([image, b]))[0]
            alone = discriminator(torch.cat([image, image]))[0]
        self.assertNotEqual(float(first), float(second))
        self.assertNotEqual(float(alone), float(first))

    def test_r1_matches_a_finite_difference(self):
        torch.manual_seed(2)
        discriminator = Discriminator(32, Width(1 / 8)).double()
        images = (torch.rand(1, 3, 32, 32, dtype=torch.float64) * 2 - 1).requires_grad_(True)
        penalty = losses.r1_penalty(discriminator(images), images)
        # The gradient's squared norm, by central differences along the gradient's own direction.
        (gradient,) = torch.autograd.grad(discriminator(images).sum(), images)
        direction = gradient / gradient.norm()
        step = 1e-4
        with torch.no_grad():
            slope = (discriminator(images + step * direction) - discriminator(images - step * direction)).sum() / (2 * step)
        self.assertAlmostEqual(float(penalty), float(slope) ** 2, places=6)


if __name__ == "__main__":
    unittest.main()
