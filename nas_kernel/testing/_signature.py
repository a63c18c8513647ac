"""The factory signature rule (PLUGIN-CONVENTIONS 6.2), shared by ``check_factory_signature``
and ``check_plugin``: the experiment file and ``nas components`` can only offer parameters they
can see, so every user-settable parameter must be an explicit keyword parameter."""
from __future__ import annotations

import inspect
from typing import Any, Callable, List

from nas_kernel.registry import supplied as supplied_by_kernel


def signature_problems(factory: Callable[..., Any], kind: str, label: str) -> List[str]:
    """Every way ``factory`` breaks the rule, as sentences naming ``label``; [] when it follows it."""
    target = factory.__init__ if inspect.isclass(factory) else factory
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError) as exc:
        return [f"{label}: its signature cannot be introspected ({exc}); write it in Python with "
                "explicit keyword parameters"]
    params = list(signature.parameters.values())
    if inspect.isclass(factory):  # drop self; a class without __init__ of its own takes nothing
        params = [] if factory.__init__ is object.__init__ else params[1:]
    problems = []
    var_pos = [p.name for p in params if p.kind is p.VAR_POSITIONAL]
    var_kw = [p.name for p in params if p.kind is p.VAR_KEYWORD]
    explicit = [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if var_pos:
        problems.append(f"{label}: takes *{var_pos[0]}; the kernel passes parameters by keyword, so every "
                        "parameter must be named in the signature")
    if var_kw and not explicit:
        problems.append(f"{label}: takes only **{var_kw[0]}; its parameters are invisible to `nas components` "
                        "and to experiment-file validation. Name each parameter explicitly")
    positional_only = [p.name for p in explicit if p.kind is p.POSITIONAL_ONLY]
    supplied = supplied_by_kernel(kind)
    positional_only = [n for n in positional_only if n not in supplied]
    if positional_only:
        problems.append(f"{label}: parameter(s) {positional_only} are positional-only; the kernel passes "
                        "user parameters by keyword")
    names = [p.name for p in explicit]
    if kind == "searchers" and (names[:1] != ["search_space"] or names[2:3] != ["output_dir"]
                                or names[1:2] not in (["objectives"], ["search_objectives"])):
        problems.append(f"{label}: a searcher factory must take (search_space, objectives, output_dir) first, "
                        f"got {names[:3]}")
    if kind == "search_spaces" and "seed" not in names:
        problems.append(f"{label}: a search space samples at random, so it must take a `seed` parameter "
                        "(the experiment's seed is passed to it)")
    if kind == "ops" and names[:2] != ["op_desc", "affine"]:
        problems.append(f"{label}: an op factory must take (op_desc, affine) first, got {names[:2]}")
    return problems
