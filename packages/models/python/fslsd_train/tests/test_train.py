"""The training loop at the tiny width, on the shipped photos prepared by `fslsd dataset prepare`,
with stand-in critics: each loss can be lowered, gradients reach exactly the trained networks,
a resumed run repeats the uninterrupted one, gradient checkpointing changes nothing but memory,
and a trained checkpoint exports, imports and swaps through the TypeScript pipeline."""
import copy
import dataclasses
import json
import os
import socket
import subprocess
import sys
import unittest

import numpy as np
import torch
from PIL import Image

from fslsd_train import checkpoints
from fslsd_train.samples import DIGITAL_SOURCE_TYPE, plot_log
from fslsd_train.step import generator_losses
from fslsd_train.train import TrainConfig, Trainer

from .prepared import PACKAGES, WIDTH, node, prepared_dataset, scratch

PYTHON_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def config(out: str, **changes) -> TrainConfig:
    base = TrainConfig(data=prepared_dataset(), out=out, steps=3, batch=1, width=WIDTH, stand_ins=True, checkpoint_every=2, keep=0,
                       sample_every=0, eval_pairs=0, lr=1e-3, lr_d=1e-3)
    return dataclasses.replace(base, **changes)


def log_lines(run: str) -> list:
    with open(os.path.join(run, "log.jsonl"), encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


def steps_of(run: str) -> dict:
    return {r["step"]: {k: v for k, v in r.items() if k != "seconds"} for r in log_lines(run) if "total" in r}


def quiet(*_):
    pass


class TrainerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.run_dir = scratch("uninterrupted")
        Trainer(config(cls.run_dir, sample_every=3, eval_pairs=2), log=quiet).run()

    def test_writes_the_released_layout_a_log_line_per_step_and_labelled_samples(self):
        folder = checkpoints.latest(self.run_dir)
        self.assertEqual(os.path.basename(folder), "step-000003")
        weights = torch.load(os.path.join(folder, "CELEBA-HQ-1024.pt"), weights_only=True)
        self.assertEqual(sorted(weights), ["bald_model", "decoder", "encoder_lmk", "encoder_target", "generator"])
        lines = log_lines(self.run_dir)
        self.assertEqual([r["step"] for r in lines if "total" in r], [1, 2, 3])
        for name in ("adv", "id", "lmk", "rec", "st", "total", "d", "d_total"):
            self.assertTrue(all(np.isfinite(r[name]) for r in lines if "total" in r), name)
        evaluated = [r for r in lines if "eval" in r]
        self.assertEqual([r["step"] for r in evaluated], [2, 3])
        self.assertEqual(evaluated[-1]["eval"]["pairs"], 2)
        self.assertTrue(-1 <= evaluated[-1]["eval"]["identity_cosine"] <= 1)
        grid = Image.open(os.path.join(self.run_dir, "samples", "step-000003.png"))
        self.assertEqual(grid.size, (4 * 256, 2 * 256))  # source | target | y_s | y_f, two held-out pairs
        self.assertIn(DIGITAL_SOURCE_TYPE, grid.info.get("XML:com.adobe.xmp", ""))
        summary = plot_log(os.path.join(self.run_dir, "log.jsonl"), os.path.join(self.run_dir, "curves.png"), window=2)
        self.assertTrue({"adv", "d", "id", "lmk", "st", "total"} <= set(summary) <= {"adv", "d", "id", "lmk", "rec", "st", "total"})
        self.assertAlmostEqual(summary["total"]["last"], (lines_total := [r["total"] for r in lines if "total" in r])[-1] / 2 + lines_total[-2] / 2, places=5)

    def test_the_evaluate_command_repeats_the_runs_own_evaluation_from_the_checkpoint(self):
        done = subprocess.run([sys.executable, "-m", "fslsd_train", "evaluate", "--data", prepared_dataset(), "--checkpoint",
                               checkpoints.latest(self.run_dir), "--stand-ins", "--width", str(WIDTH), "--pairs", "2"],
                              cwd=PYTHON_ROOT, capture_output=True, text=True, check=True)
        result = json.loads(done.stdout)
        logged = [r["eval"] for r in log_lines(self.run_dir) if r.get("step") == 3 and "eval" in r][0]
        self.assertEqual(result["pairs"], 2)
        self.assertAlmostEqual(result["identity_cosine"], logged["identity_cosine"], places=6)
        self.assertAlmostEqual(result["landmark_error_px"], logged["landmark_error_px"], places=5)

    def test_a_resumed_run_repeats_the_uninterrupted_one(self):
        # A run that died after step 3 but before its checkpoint: it resumes from step 2, drops
        # the log's step-3 line and must compute step 3 exactly as the uninterrupted run did.
        resumed = scratch("resumed")
        Trainer(config(resumed), log=quiet).run()
        root = os.path.join(resumed, "checkpoints")
        import shutil
        shutil.rmtree(os.path.join(root, "step-000003"))
        with open(os.path.join(root, "latest"), "w", encoding="utf-8") as file:
            file.write("step-000002\n")
        trainer = Trainer(config(resumed), log=quiet)
        self.assertEqual(trainer.step, 2)
        self.assertEqual(sorted(steps_of(resumed)), [1, 2])
        trainer.run()
        ours, reference = steps_of(resumed), steps_of(self.run_dir)
        self.assertEqual(sorted(ours), [1, 2, 3])
        self.assertEqual(ours[3], reference[3])
        self.assertNotEqual(ours[3]["total"], ours[2]["total"])
        # Step 3's losses come from step 2's weights; its update needs both Adams' moments too.
        for name in ("CELEBA-HQ-1024.pt", "training.pt"):
            a = torch.load(os.path.join(resumed, "checkpoints", "step-000003", name), weights_only=False)
            b = torch.load(os.path.join(self.run_dir, "checkpoints", "step-000003", name), weights_only=False)
            states = ("encoder_lmk", "encoder_target", "decoder") if name.startswith("CELEBA") else ("discriminator",)
            for key in states:
                for tensor in a[key]:
                    self.assertTrue(torch.equal(a[key][tensor], b[key][tensor]), f"{name} {key}.{tensor}")

    def test_refuses_to_resume_with_other_settings(self):
        with self.assertRaisesRegex(ValueError, "batch: 1 there, 2 here"):
            Trainer(config(self.run_dir, batch=2), log=quiet)

    def test_a_trained_checkpoint_exports_imports_and_swaps_through_the_typescript_pipeline(self):
        folder = checkpoints.latest(self.run_dir)
        work = scratch("swap")
        python = [sys.executable, "-m"]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        # pSp as released, with the weights the tiny set's psp-encoder has (the dataset's W+ came from it).
        subprocess.run(python + ["fslsd_reference.checkpoints", "--out", work, "--only", "psp_ffhq_encode.pt"], cwd=PYTHON_ROOT, env=env,
                       check=True, capture_output=True)
        fslsd, psp = os.path.join(folder, "CELEBA-HQ-1024.pt"), os.path.join(work, "psp_ffhq_encode.pt")
        exported, imported = os.path.join(work, "exported"), os.path.join(work, "imported")
        subprocess.run(python + ["fslsd_reference.export", "--checkpoint", fslsd, "--psp", psp, "--width", str(WIDTH), "--out", exported,
                                 "--architectures", os.path.join(PACKAGES, "models", "fixtures", "architectures")],
                       cwd=PYTHON_ROOT, env=env, check=True, capture_output=True)
        node("models", "import", "--fslsd", fslsd, "--psp", psp, "--out", imported,
             "--architectures", os.path.join(PACKAGES, "models", "fixtures", "architectures"))
        # The PyTorch swap with the trained weights, on a held-out pair of the dataset.
        trainer = Trainer(config(self.run_dir), log=quiet)
        source, target = trainer.eval_faces[1], trainer.eval_faces[0]
        batch = trainer.dataset.batch([(source, target)])
        with torch.no_grad():
            _, image = trainer.model.eval()(batch.source_wplus, batch.target_wplus, batch.maps, batch.target, batch.mask)
        expected = ((image[0].clamp(-1, 1) + 1) * 127.5).round().permute(1, 2, 0).numpy()
        data = trainer.dataset.folder
        faces = [os.path.join(data, "faces", trainer.dataset.faces[i].id) for i in (source, target)]
        for which, i in (("source", source), ("target", target)):
            with open(os.path.join(work, f"{which}.json"), "w", encoding="utf-8") as file:
                json.dump({"points": trainer.dataset.faces[i].landmarks.tolist()}, file)
        for models in (exported, imported):
            out = os.path.join(work, f"{os.path.basename(models)}.png")
            node("swap", "--models", models, "--aligned", "--source", os.path.join(faces[0], "crop.png"), "--target",
                 os.path.join(faces[1], "crop.png"), "--source-landmarks", os.path.join(work, "source.json"),
                 "--target-landmarks", os.path.join(work, "target.json"), "--mask", os.path.join(faces[1], "mask.png"), "--out", out, "--quiet")
            swapped = np.asarray(Image.open(out).convert("RGB")).astype(np.float64)
            difference = np.abs(swapped - expected)
            print(f"{os.path.basename(models)} set: TypeScript swap vs PyTorch, 8-bit levels: max {difference.max():.0f}, mean {difference.mean():.4f}")
            self.assertLessEqual(difference.max(), 1)
            self.assertLess(difference.mean(), 0.01)
            # Trained weights, not the tiny set's: the swap differs from the shipped set's.
        shipped = os.path.join(work, "shipped.png")
        node("swap", "--aligned", "--source", os.path.join(faces[0], "crop.png"), "--target", os.path.join(faces[1], "crop.png"),
             "--source-landmarks", os.path.join(work, "source.json"), "--target-landmarks", os.path.join(work, "target.json"),
             "--mask", os.path.join(faces[1], "mask.png"), "--out", shipped, "--quiet")
        self.assertGreater(np.abs(np.asarray(Image.open(shipped).convert("RGB")).astype(np.float64) - expected).mean(), 1.0)


class GradientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.trainer = Trainer(config(scratch("gradients"), steps=1), log=quiet)

    def test_a_step_gives_every_trained_parameter_a_gradient_and_no_frozen_one(self):
        self.trainer.train_step()
        model = self.trainer.model
        for name in ("landmark_encoder", "target_encoder", "decoder"):
            for key, parameter in getattr(model, name).named_parameters():
                self.assertIsNotNone(parameter.grad, f"{name}.{key}")
            self.assertGreater(sum(float(p.grad.abs().sum()) for p in getattr(model, name).parameters()), 0, name)
        for name in ("generator", "latent_editor"):
            for key, parameter in getattr(model, name).named_parameters():
                self.assertIsNone(parameter.grad, f"{name}.{key} is frozen")
        for critic in (self.trainer.critics.identity, self.trainer.critics.landmarks, self.trainer.critics.perceptual):
            self.assertTrue(all(p.grad is None for p in critic.parameters()))
        self.assertTrue(all(p.grad is not None for p in self.trainer.discriminator.parameters()))

    def test_each_loss_falls_when_optimised_alone_on_a_fixed_batch(self):
        # Every term reaches the trained networks and its gradient descends: 5 Adam steps on one
        # term alone (the other weights 0), fresh weights each time, on a fixed cross pair (and a
        # self-swap for L_rec, which only self-swaps carry by default).
        faces = self.trainer.train_faces
        cross, same = self.trainer.dataset.batch([(faces[1], faces[0])]), self.trainer.dataset.batch([(faces[0], faces[0])])
        zero = dict(adv=0.0, id=0.0, lmk=0.0, rec=0.0, st=0.0)
        for term in ("adv", "id", "lmk", "rec", "st"):
            trainer = Trainer(config(scratch(f"alone-{term}"), steps=1, weights="paper"), log=quiet)
            weights = dataclasses.replace(trainer.weights, **{**zero, term: 1.0})
            optimizer = torch.optim.Adam(trainer.model.trainable_parameters(), lr=2e-3)
            batch = same if term == "rec" else cross
            history = []
            for _ in range(5):
                terms = generator_losses(trainer.model, trainer.critics, trainer.discriminator, batch, weights)
                optimizer.zero_grad(set_to_none=True)
                terms["total"].backward()
                optimizer.step()
                history.append(float(terms[term]))
            print(f"{term} alone: {history[0]:.5g} -> {history[-1]:.5g}")
            self.assertLess(history[-1], history[0], f"{term}: {history}")

    def test_gradient_checkpointing_changes_nothing_but_memory(self):
        base = self.trainer.model
        twin = copy.deepcopy(base).checkpoint_activations()
        batch = self.trainer.dataset.batch([(self.trainer.train_faces[1], self.trainer.train_faces[0])])
        results = []
        for model in (base, twin):
            model.zero_grad(set_to_none=True)
            terms = generator_losses(model, self.trainer.critics, self.trainer.discriminator, batch, self.trainer.weights)
            terms["total"].backward()
            results.append((float(terms["total"]), [p.grad.clone() for p in model.trainable_parameters()]))
        self.assertEqual(results[0][0], results[1][0])
        for a, b in zip(results[0][1], results[1][1]):
            self.assertTrue(torch.allclose(a, b, rtol=1e-4, atol=1e-7))


class DistributedTest(unittest.TestCase):
    def test_two_processes_train_one_model(self):
        # The environment torchrun gives each worker (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_*), set
        # by hand: Debian's torch 1.13 torchrun fails under Python 3.11 before starting any worker
        # (its Std.from_str returns None), and the trainer only reads that environment.
        run = scratch("distributed")
        command = [sys.executable, "-m", "fslsd_train", "train", "--data", prepared_dataset(), "--out", run, "--stand-ins",
                   "--width", str(WIDTH), "--steps", "2", "--batch", "2", "--checkpoint-every", "2", "--sample-every", "0",
                   "--eval-pairs", "0", "--lr", "1e-3"]
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        workers = []
        for rank in range(2):
            env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1", "MASTER_ADDR": "127.0.0.1",
                   "MASTER_PORT": str(port), "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2"}
            workers.append(subprocess.Popen(command, cwd=PYTHON_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        outputs = [worker.communicate(timeout=900) for worker in workers]
        for worker, (_, err) in zip(workers, outputs):
            self.assertEqual(worker.returncode, 0, err[-3000:])
        lines = log_lines(run)
        self.assertEqual([r["step"] for r in lines if "total" in r], [1, 2])  # rank 0 alone writes the log
        saved = [r for r in lines if "checkpoint" in r]
        self.assertEqual([(r["world"], r["ranks_agree"]) for r in saved], [(2, True)])
        self.assertEqual(sorted(os.listdir(os.path.join(run, "checkpoints"))), ["latest", "step-000002"])


if __name__ == "__main__":
    unittest.main()
