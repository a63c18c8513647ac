"""An example third-party NAS Kernel plugin: a small MLP search space for the 8x8 digits.

Importing the package is cheap; ``MLPSearchSpace`` (which needs torch) is imported on first use.
"""

__all__ = ["MLPSearchSpace"]


def __getattr__(name):
    if name == "MLPSearchSpace":
        from nas_example_space.space import MLPSearchSpace

        return MLPSearchSpace
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
