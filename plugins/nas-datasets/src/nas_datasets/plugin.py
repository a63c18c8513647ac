"""Registers this distribution's dataset providers with NAS Kernel (lazy references only)."""
from nas_kernel import hookimpl


@hookimpl
def register_datasets(register):
    register("digits", "nas_datasets.digits:Digits")
    register("synthetic", "nas_datasets.synthetic:Synthetic")
    register("cifar10", "nas_datasets.cifar10:Cifar10")
    register("mnist", "nas_datasets.mnist:Mnist")
    register("cifar100", "nas_datasets.cifar100:Cifar100")
    register("fashion_mnist", "nas_datasets.fashion_mnist:FashionMnist")
    register("imagenet16", "nas_datasets.imagenet16:ImageNet16")
    register("arrays", "nas_datasets.arrays:Arrays")
    register("image_folder", "nas_datasets.image_folder:ImageFolder")
    register("python", "nas_datasets.python_function:PythonFunction")
    register("table", "nas_datasets.table:Table")
