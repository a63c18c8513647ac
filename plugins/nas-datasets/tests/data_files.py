"""Files the tests write: separable arrays, image folders made with Pillow, a factory module."""
from __future__ import annotations

import os
import textwrap

import numpy as np


def blobs(n: int = 120, classes: int = 3, shape=(1, 6, 6), seed: int = 0, dtype=np.float32):
    """Seeded class clusters: a model can learn them, so a search has something to find."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 2.0, size=(classes,) + tuple(shape))
    y = rng.integers(0, classes, n)
    X = means[y] + rng.normal(size=(n,) + tuple(shape))
    if np.issubdtype(dtype, np.integer):
        X = np.clip(X * 30 + 128, 0, 255)
    return X.astype(dtype), y.astype(np.int64)


def image_tree(root, classes=("cat", "dog", "emu"), per_class: int = 6, size=(10, 12), mode: str = "RGB",
               seed: int = 0, modes=None):
    """``root/<class>/<i>.png|jpg`` images whose mean colour depends on the class."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for k, name in enumerate(classes):
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i in range(per_class):
            image_mode = (modes or {}).get((name, i), mode)
            base = 40 + 80 * k
            pixels = np.clip(rng.normal(base, 20, size=size + (3,)), 0, 255).astype(np.uint8)
            image = Image.fromarray(pixels, "RGB").convert(image_mode)
            image.save(os.path.join(root, name, f"{i}.{'png' if i % 2 else 'jpg'}"))
    return str(root)


FACTORY_MODULE = textwrap.dedent('''
    """A data factory next to an experiment file, as a user would write one."""
    import numpy as np


    def make(n=90, seed=0):
        rng = np.random.default_rng(seed)
        means = rng.normal(0, 2.0, size=(3, 8))
        y = rng.integers(0, 3, n)
        X = (means[y] + rng.normal(size=(n, 8))).astype(np.float32)
        return {"train": (X[:60], y[:60]), "val": (X[60:], y[60:]), "num_classes": 3}


    def pairs(seed=0):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(40, 1, 4, 4)).astype(np.float32)
        y = np.arange(40) % 2
        return (X[:30], y[:30]), (X[30:], y[30:])


    def only_train(seed=0):
        return {"train": pairs(seed)[0]}


    def provider(seed=0):
        from nas_datasets import Synthetic
        return Synthetic(input_shape=[5], num_classes=2, seed=seed)


    def cubes(n=60, seed=0):
        """3x8x8 images of 3 classes, the shape the search tests' cnn space takes."""
        rng = np.random.default_rng(seed)
        means = rng.normal(0, 2.0, size=(3, 3, 8, 8))
        y = rng.integers(0, 3, n)
        X = (means[y] + rng.normal(size=(n, 3, 8, 8))).astype(np.float32)
        return (X[:40], y[:40]), (X[40:], y[40:])


    def float_labels():
        return (np.zeros((4, 3)), np.array([0.0, 1.0, 0.5, 1.0])), (np.zeros((2, 3)), np.array([0, 1]))


    def not_data():
        return 42
''')


def factory_module(folder, name: str = "my_data") -> str:
    with open(os.path.join(folder, f"{name}.py"), "w", encoding="utf-8") as f:
        f.write(FACTORY_MODULE)
    return name
