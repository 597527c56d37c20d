"""The training losses against straightforward implementations (loops over pixels and values),
and the landmark soft-argmax against H3R's own decoder."""
import unittest

import torch

from fslsd_reference.h3r import heatmap_to_points
from fslsd_train import losses


def loop_soft_argmax(heatmap, stride):
    n, c, h, w = heatmap.shape
    out = torch.zeros(n, c, 2, dtype=torch.float64)
    for b in range(n):
        for k in range(c):
            cells = [(float(heatmap[b, k, row, col]), col, row) for row in range(h) for col in range(w)]
            top = max(value for value, _, _ in cells)
            weights = [torch.tensor(value - top, dtype=torch.float64).exp() for value, _, _ in cells]
            total = sum(weights)
            out[b, k, 0] = stride * sum(wt * col for wt, (_, col, _) in zip(weights, cells)) / total
            out[b, k, 1] = stride * sum(wt * row for wt, (_, _, row) in zip(weights, cells)) / total
    return out


def loop_histogram_match(image, reference, image_mask, reference_mask):
    """BeautyGAN's histogram_matching, written out: 256-bin cumulative histograms, then for each
    value i the first j >= 1 with cdf_ref[j-1] <= cdf_src[i] <= cdf_ref[j] (levels rounded, where
    BeautyGAN truncates: see losses.histogram_match)."""
    out = image.clone()
    points = [(y, x) for y in range(image.shape[1]) for x in range(image.shape[2]) if image_mask[y, x]]
    reference_points = [(y, x) for y in range(image.shape[1]) for x in range(image.shape[2]) if reference_mask[y, x]]

    def cdf(values):
        counts = [0] * 256
        for value in values:
            counts[value] += 1
        running, out_cdf = 0.0, []
        for count in counts:
            running += count / len(values)
            out_cdf.append(running)
        return out_cdf

    for channel in range(3):
        source = [round((float(image[channel, y, x]) + 1) * 127.5) for y, x in points]
        target = [round((float(reference[channel, y, x]) + 1) * 127.5) for y, x in reference_points]
        cdf_source, cdf_target = cdf(source), cdf(target)
        table = list(range(256))
        for i in range(1, 256):
            for j in range(1, 256):
                if cdf_target[j - 1] <= cdf_source[i] <= cdf_target[j]:
                    table[i] = j
                    break
        table[255] = 255
        for (y, x), value in zip(points, source):
            out[channel, y, x] = table[value] / 127.5 - 1
    return out


class SoftArgmaxTest(unittest.TestCase):
    def test_equals_a_loop_over_cells(self):
        generator = torch.Generator().manual_seed(1)
        heatmap = torch.randn(2, 3, 5, 7, generator=generator, dtype=torch.float64) * 3
        torch.testing.assert_close(losses.soft_argmax(heatmap, 4.0), loop_soft_argmax(heatmap, 4.0), rtol=0, atol=1e-12)

    def test_equals_h3r_decoder_over_every_cell(self):
        # H3R averages its top-k cells; with k = every cell it is the soft-argmax.
        heatmap = torch.randn(1, 106, 64, 64, generator=torch.Generator().manual_seed(2))
        torch.testing.assert_close(losses.soft_argmax(heatmap), heatmap_to_points(heatmap, topk=64 * 64, stride=4.0), rtol=0, atol=2e-4)

    def test_a_sharp_peak_lands_on_its_cell(self):
        heatmap = torch.full((1, 1, 64, 64), -50.0)
        heatmap[0, 0, 10, 37] = 50.0
        self.assertEqual(losses.soft_argmax(heatmap).tolist(), [[[148.0, 40.0]]])

    def test_has_a_gradient_for_every_logit(self):
        heatmap = torch.randn(1, 2, 8, 8, requires_grad=True)
        losses.soft_argmax(heatmap).sum().backward()
        self.assertEqual(int((heatmap.grad == 0).sum()), 0)


class HistogramMatchTest(unittest.TestCase):
    def setUp(self):
        generator = torch.Generator().manual_seed(3)
        # Integer levels (as 8-bit images are), two differently lit faces, masks of different sizes.
        self.image = torch.randint(40, 200, (3, 24, 20), generator=generator).double() / 127.5 - 1
        self.reference = (torch.randint(0, 120, (3, 24, 20), generator=generator).double() * 2 + 3) / 127.5 - 1
        self.image_mask = torch.zeros(24, 20, dtype=torch.bool)
        self.image_mask[4:20, 3:15] = True
        self.reference_mask = torch.zeros(24, 20, dtype=torch.bool)
        self.reference_mask[2:22, 5:19] = True

    def test_equals_beautygans_loops(self):
        matched = losses.histogram_match(self.image, self.reference, self.image_mask, self.reference_mask)
        expected = loop_histogram_match(self.image, self.reference, self.image_mask, self.reference_mask)
        self.assertEqual(float((matched - expected).abs().max()), 0.0)

    def test_leaves_the_outside_and_moves_the_inside_to_the_references_levels(self):
        matched = losses.histogram_match(self.image, self.reference, self.image_mask, self.reference_mask)
        self.assertTrue(torch.equal(matched[:, ~self.image_mask], self.image[:, ~self.image_mask]))
        # The reference's levels are odd (2k + 3): matched values inside are reference levels.
        levels = ((matched[:, self.image_mask] + 1) * 127.5).round().long()
        self.assertEqual(int((levels % 2 == 0).sum()), 0)
        inside, reference = matched[:, self.image_mask].mean(dim=1), self.reference[:, self.reference_mask].mean(dim=1)
        torch.testing.assert_close(inside, reference, rtol=0, atol=0.05)

    def test_resolves_ties_and_values_below_the_references_first_level_as_beautygan_does(self):
        # Source levels 50/100/150/255, reference 0/60/120 (50/25/25 %): 100's cdf (0.5) ties the
        # reference's at 0..59, so it maps to 1; 50's (0.25) is below cdf_ref[0] and stays; 255 stays.
        levels = lambda values: (torch.tensor(values, dtype=torch.float64) / 127.5 - 1).reshape(1, 1, -1).expand(3, 1, -1)
        image, reference = levels([50, 100, 150, 255]), levels([0, 0, 60, 120])
        mask = torch.ones(1, 4, dtype=torch.bool)
        matched = losses.histogram_match(image, reference, mask, mask)
        self.assertEqual(((matched[0, 0] + 1) * 127.5).round().long().tolist(), [50, 1, 60, 255])
        self.assertTrue(torch.equal(matched, loop_histogram_match(image, reference, mask, mask)))

    def test_an_empty_mask_changes_nothing(self):
        empty = torch.zeros(24, 20, dtype=torch.bool)
        self.assertTrue(torch.equal(losses.histogram_match(self.image, self.reference, empty, self.reference_mask), self.image))


class LossTermsTest(unittest.TestCase):
    def test_identity_and_adversarial_terms(self):
        a = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
        b = torch.tensor([[1.0, 0.0], [2.0, 0.0]])
        self.assertAlmostEqual(float(losses.identity_loss(a, b)), 0.5, places=6)
        logits = torch.tensor([0.0, 2.0])
        self.assertAlmostEqual(float(losses.generator_adversarial_loss(logits)), (0.6931472 + 0.1269280) / 2, places=6)
        self.assertAlmostEqual(float(losses.discriminator_loss(logits, -logits)), 2 * (0.6931472 + 0.1269280) / 2, places=6)

    def test_landmark_loss_is_the_mean_per_sample_euclidean_norm(self):
        predicted = torch.zeros(2, 106, 2)
        target = torch.zeros(2, 106, 2)
        target[0, 0] = torch.tensor([3.0, 4.0])
        self.assertAlmostEqual(float(losses.landmark_loss(predicted, target)), 2.5, places=6)

    def test_r1_is_the_squared_gradient_norm(self):
        images = torch.randn(2, 3, 4, 4, requires_grad=True)
        weight = torch.randn(3, 4, 4)
        logits = (images * weight).sum(dim=(1, 2, 3))
        self.assertAlmostEqual(float(losses.r1_penalty(logits, images)), float(weight.pow(2).sum()), places=4)


if __name__ == "__main__":
    unittest.main()
