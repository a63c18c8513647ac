"""Dataset providers for NAS Kernel.

Every provider implements ``nas_kernel.api.DatasetProvider``: ``get_train()``, ``get_val()``,
``get_test()`` return ``(X, y)`` torch tensors, plus ``num_classes``, ``input_shape``, ``sizes()``
and ``torch_dataset(split)``. ``Arrays``, ``ImageFolder`` and ``PythonFunction`` read the user's
own files. Names are imported on first use so that ``import nas_datasets`` stays cheap (no torch).
"""
from nas_kernel.toolbox.lazy import lazy_exports

__version__ = "0.1.0"

_LAZY = {
    "ArrayDataset": "nas_datasets.provider",
    "Arrays": "nas_datasets.arrays",
    "Digits": "nas_datasets.digits",
    "ImageFolder": "nas_datasets.image_folder",
    "PythonFunction": "nas_datasets.python_function",
    "Synthetic": "nas_datasets.synthetic",
    "Cifar10": "nas_datasets.cifar10",
    "Mnist": "nas_datasets.mnist",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
