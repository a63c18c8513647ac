"""Archai code overrides methods with ``@overrides`` and often no annotations (Archai pins
``overrides==3.1.0``, which compares nothing). Every public class of the kernel and of every
installed plugin must accept such overrides, and annotated ones, for every method it offers.

The classes are discovered (the kernel's public names and each plugin package's ``__all__``,
found through the ``nas_kernel`` entry points, and every project class those derive from), so a
new base class is covered without editing this file. Each override is compiled as user code in its own module namespace, because
``overrides`` finds the base class by reading the class statement that is being executed.
"""
from __future__ import annotations

import enum
import functools
import importlib
import inspect
import typing
from importlib.metadata import entry_points

from overrides import overrides

import nas_kernel

USER_MODULE = "ported_archai_code"


@functools.lru_cache(maxsize=None)
def _packages():
    found = {"nas_kernel", "nas_kernel.api"}
    found.update(ep.value.split(".")[0].split(":")[0] for ep in entry_points(group="nas_kernel"))
    return tuple(sorted(found))


@functools.lru_cache(maxsize=None)
def _roots():
    return frozenset(p.split(".")[0] for p in _packages())


def _public_classes():
    """Every class a package exports, and the project classes they derive from, once. A name
    whose module needs a missing optional library is left out: it cannot be subclassed here
    either."""
    classes = {}
    for package in _packages():
        try:
            module = importlib.import_module(package)
        except ModuleNotFoundError:  # an entry point left behind by an uninstalled plugin
            continue
        for name in getattr(module, "__all__", []):
            try:
                obj = getattr(module, name)
            except ModuleNotFoundError:
                continue
            if inspect.isclass(obj) and obj.__module__.split(".")[0] in _roots():
                if issubclass(obj, enum.Enum) and len(obj):
                    continue  # an enumeration with members cannot be subclassed at all
                classes.setdefault(obj, f"{package}.{name}")
    for cls in list(classes):  # the bases they are built on (nas_kernel.loop.IterativeSearcher ...)
        for base in cls.__mro__[1:]:
            if base.__module__.split(".")[0] in _roots() and not base.__name__.startswith("_"):
                classes.setdefault(base, f"{base.__module__}.{base.__name__}")
    return classes


#: the methods torch's documentation asks a module to re-implement; every Archai op, cell and
#: model overrides ``forward`` with its own parameters
MODULE_METHODS = ("forward", "extra_repr")


def _overridable_methods(cls):
    """(name, function, kind) of each method a subclass may override: those the project
    defines, and on torch modules the two torch asks modules to re-implement (the rest of
    ``nn.Module``'s methods are torch's contract, not the project's)."""
    for name in sorted(dir(cls)):
        if name.startswith("__") and name.endswith("__"):
            continue
        owner = next(k for k in cls.__mro__ if name in vars(k))
        if owner.__module__.split(".")[0] not in _roots() and name not in MODULE_METHODS:
            continue
        raw = inspect.getattr_static(cls, name)
        kind = "static" if isinstance(raw, staticmethod) else "class" if isinstance(raw, classmethod) else "instance"
        func = raw.__func__ if kind != "instance" else raw
        func = getattr(func, "__wrapped__", func)  # an abstract method keeps its function there
        if inspect.isfunction(func):
            yield name, func, kind


def _declared_types(func):
    """The base method's annotations as objects (what an annotated override would import and
    write); a name that cannot be resolved (imported only for type checkers) is left out."""
    signature = inspect.signature(func, follow_wrapped=False)
    declared = {p.name: p.annotation for p in signature.parameters.values() if p.annotation is not p.empty}
    if signature.return_annotation is not signature.empty:
        declared["return"] = signature.return_annotation
    resolved = {}
    for key, value in declared.items():
        try:
            resolved[key] = eval(value, func.__globals__) if isinstance(value, str) else value  # noqa: S307
        except Exception:
            continue
    return resolved


def _parameters(func):
    out = []
    for p in inspect.signature(func, follow_wrapped=False).parameters.values():
        if p.kind == p.VAR_POSITIONAL:
            out.append("*" + p.name)
        elif p.kind == p.VAR_KEYWORD:
            out.append("**" + p.name)
        else:
            if p.kind == p.KEYWORD_ONLY and not any(x.startswith("*") for x in out):
                out.append("*")
            out.append(p.name + ("=None" if p.default is not p.empty else ""))
    return ", ".join(out)


def _subclass(base, name, func, kind, annotations):
    decorator = {"instance": "", "static": "@staticmethod\n    ", "class": "@classmethod\n    "}[kind]
    source = (f"class Ported(Base):\n"
              f"    {decorator}@overrides\n"
              f"    @annotate\n"
              f"    def {name}({_parameters(func)}):\n"
              f"        return None\n")

    def annotate(f):
        f.__annotations__ = dict(annotations)
        return f

    namespace = {"Base": base, "overrides": overrides, "annotate": annotate, "__name__": USER_MODULE}
    exec(compile(source, f"<{USER_MODULE}>", "exec"), namespace)  # noqa: S102
    return namespace["Ported"]


def test_every_public_class_accepts_overrides_with_and_without_annotations():
    classes = _public_classes()
    names = {label.rsplit(".", 1)[1] for label in classes.values()}
    # a floor for the discovery itself: the bases the seeds document, kernel and supergraph
    assert {"DiscreteSearchSpace", "ModelEvaluator", "Searcher", "SearchResults", "ModelDescBuilder",
            "Finalizers", "ExperimentRunner", "ArchTrainer", "Evaluater", "Op", "ArchModule"} <= names
    refused, walked = [], 0
    for cls, label in classes.items():
        for name, func, kind in _overridable_methods(cls):
            for annotations in ({}, _declared_types(func)):
                walked += 1
                try:
                    ported = _subclass(cls, name, func, kind, annotations)
                except TypeError as exc:
                    refused.append(f"{label}.{name} ({'annotated' if annotations else 'unannotated'}): {exc}")
                    continue
                assert ported.__dict__[name] is not None and issubclass(ported, cls)
    assert not refused, (f"{len(refused)} of {walked} overrides refused (derive the class or its base from "
                         "nas_kernel.api.overridable.OpenOverrides, or OpenModuleOverrides for a torch module):\n"
                         + "\n".join(refused))
    assert walked > 500  # every plugin's classes were walked, not a handful


def test_return_types_stay_readable_where_overrides_does_not_compare_them():
    from nas_kernel.api import BayesOptSearchSpace

    assert inspect.signature(BayesOptSearchSpace.encodings).return_annotation in ("List[str]", typing.List[str])
    assert "return" not in BayesOptSearchSpace.encodings.__annotations__
    assert nas_kernel.SearchResults.get_pareto_frontier.__annotations__.get("start_iteration") is not None
