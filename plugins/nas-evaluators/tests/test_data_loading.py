"""Augmentation, and the DataLoader workers partial_training keeps between candidates (reading a
user's files through the dataloader is tested with nas-datasets' providers in
tests/integration/test_evaluators_reading_datasets.py)."""
import torch

from nas_evaluators.batches import Augment, release_loaders


def test_augmentation_crops_padded_images_and_flips_seeded():
    xb = torch.arange(2 * 1 * 4 * 4, dtype=torch.float32).reshape(2, 1, 4, 4) + 1
    assert Augment()(xb, seed=0) is xb  # off by default
    cropped = Augment(random_crop=1)(xb, seed=3)
    assert cropped.shape == xb.shape and torch.equal(cropped, Augment(random_crop=1)(xb, seed=3))
    padded = torch.nn.functional.pad(xb, (1, 1, 1, 1))
    for i in range(2):  # every crop is a 4x4 window of the zero-padded image
        windows = [padded[i, :, r:r + 4, c:c + 4] for r in range(3) for c in range(3)]
        assert any(torch.equal(cropped[i], w) for w in windows)
    flipped = [Augment(horizontal_flip=True)(xb, seed=s) for s in range(8)]
    assert any(torch.equal(f[0], xb[0].flip(2)) for f in flipped) and any(torch.equal(f[0], xb[0]) for f in flipped)


class Rows:
    """A small in-memory provider: 64 rows of 4 features."""

    def __init__(self, seed: int) -> None:
        gen = torch.Generator().manual_seed(seed)
        self.X, self.y = torch.randn(64, 4, generator=gen), torch.randint(0, 2, (64,), generator=gen)

    def get_train(self):
        return self.X, self.y

    def get_val(self):
        return self.X[:16], self.y[:16]


def test_a_new_provider_stops_the_loader_workers_of_the_one_before():
    from nas_evaluators import batches

    release_loaders()
    first, second = Rows(0), Rows(1)

    def read(provider):
        split = batches.LoaderSplit(provider, "train", "cpu", 1, lambda X, device: X)
        return sum(len(xb) for xb, _ in split.batches(torch.arange(64), 32))

    try:
        assert read(first) == 64
        first_workers = [w for _, loader in batches._LOADERS.values() for w in loader._iterator._workers]
        assert first_workers and all(w.is_alive() for w in first_workers)  # persistent: still up
        assert read(second) == 64
        assert [entry[0] for entry in batches._LOADERS.values()] == [second]  # only the latest's loaders
        for worker in first_workers:
            worker.join(timeout=10)
        assert not any(w.is_alive() for w in first_workers)  # the first's workers exited
    finally:
        release_loaders()
