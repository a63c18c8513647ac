"""Which checks apply to a component, with its inputs bound: the one source both front ends
(the ``check_*`` runners and ``parametrize_with_checks``) read."""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

from nas_kernel.kinds import KINDS
from nas_kernel.toolbox.references import resolve_reference
from nas_kernel.testing._naming import name_of
from nas_kernel.testing._results import validate_expected

#: kit kind name (``search_space``, ``evaluator``, ..., ``dataset``) -> function listing the checks
#: that apply to an object of that kind (empty if none); one per record of ``nas_kernel.kinds``
KIND_CHECKS: Dict[str, Callable[[Any], List[Callable[..., None]]]] = {k.snake: resolve_reference(k.checks)
                                                                      for k in KINDS}
Expected = Union[None, Mapping[str, str], Callable[[Any], Optional[Mapping[str, str]]]]


class WithInputs:
    """A component together with what its checks need (see ``with_inputs``)."""

    def __init__(self, component: Any, inputs: Dict[str, Any]) -> None:
        self.component, self.inputs = component, inputs

    def __repr__(self) -> str:
        return f"with_inputs({name_of(self.component)}, {', '.join(self.inputs)})"


def with_inputs(component: Any, **inputs: Any) -> WithInputs:
    """Give a component's checks their inputs: ``models=`` (a list of ``ArchaiModel`` or a search
    space) for evaluators, ``input_shape=`` / ``output_shape=`` for ops, ``data=(X, y, X_new)`` for
    a predictor that fits only encodings of its own layout (graphs, say)."""
    return WithInputs(component, inputs)


def _bind(check: Callable[..., None], inputs: Dict[str, Any]) -> Callable[[Any], None]:
    accepted = set(inspect.signature(check).parameters)
    bound = {k: v for k, v in inputs.items() if k in accepted}
    if not bound:
        return check
    return functools.update_wrapper(functools.partial(check, **bound), check)


def checks_for(component: Any, kinds: Iterable[str] = tuple(KIND_CHECKS)) -> List[Callable[[Any], None]]:
    """Every check of the given kinds that applies to ``component`` (unwrapped), inputs unbound."""
    return [check for kind in kinds for check in KIND_CHECKS[kind](component)]


def _unwrap(item: Any) -> Tuple[Any, Dict[str, Any]]:
    return (item.component, dict(item.inputs)) if isinstance(item, WithInputs) else (item, {})


def plugin_checks(component: Any, taken: Iterable[str], plugins: Any = None) -> List[Callable[[Any], None]]:
    """The checks the installed plugins' ``conformance_checks`` hook gives for ``component``
    (``plugins``: a plugin manager; by default the one in use), after ``taken`` (the names of
    the checks already chosen): TypeError when one is not a function or reuses a name."""
    if plugins is None:
        from nas_kernel.plugins_in_use import plugins_in_use

        plugins = plugins_in_use()
    names, checks = set(taken), []
    for given in plugins.hook.conformance_checks(component=component):
        for check in given or []:
            name = getattr(check, "__name__", None)
            if not callable(check) or not name:
                raise TypeError(f"a plugin's conformance_checks gave {check!r} for {name_of(component)}: a check is a "
                                "named function of the component")
            if name in names:
                raise TypeError(f"a plugin's conformance_checks gave a second check named {name!r} for "
                                f"{name_of(component)}: check names are unique")
            names.add(name)
            checks.append(check)
    return checks


def component_checks(item: Any, *, kinds: Iterable[str] = tuple(KIND_CHECKS), expected_failed_checks: Expected = None,
                     require: Optional[str] = None, plugins: Any = None
                     ) -> Iterator[Tuple[Any, Callable[[Any], None], Optional[str]]]:
    """``(component, check, expected_to_fail_reason)`` for one component (or ``with_inputs``):
    the checks of its kinds, then those the plugins give (``plugin_checks``)."""
    component, inputs = _unwrap(item)
    checks = checks_for(component, kinds)
    if checks:
        checks += plugin_checks(component, [c.__name__ for c in checks], plugins)
    if not checks:
        wanted = require or ", ".join(k.subject() for k in KINDS)
        hint = (f" (pass an instance, e.g. {name_of(component)}(seed=0), not the class)"
                if inspect.isclass(component) else "")
        raise TypeError(f"{name_of(component)} is not a {wanted}{hint}: the kit picks checks from the contract a "
                        "component keeps: " + "; ".join(k.subject() for k in KINDS))
    names = [c.__name__ for c in checks]
    known_inputs = {p for c in checks for p in list(inspect.signature(c).parameters)[1:]}
    unknown = sorted(set(inputs) - known_inputs)
    if unknown:
        raise TypeError(f"with_inputs({name_of(component)}, ...) got input(s) {unknown} that none of its checks take; "
                        f"they take {sorted(known_inputs) or 'none'}")
    expected = expected_failed_checks(component) if callable(expected_failed_checks) else expected_failed_checks
    expected = validate_expected(expected, names, name_of(component))
    for check in checks:
        yield component, _bind(check, inputs), expected.get(check.__name__)


def components_checks_generator(components: Iterable[Any], *, expected_failed_checks: Expected = None
                                ) -> Iterator[Tuple[Any, Callable[[Any], None], Optional[str]]]:
    """For every component, every check that applies: ``(component, check, reason_or_None)``.

    ``expected_failed_checks`` is a callable ``component -> {check_name: reason}`` (or one dict
    for all components); a named check must exist for that component and needs a reason.
    """
    from nas_kernel.plugins_in_use import plugins_in_use

    plugins = plugins_in_use()  # one manager for all the components (a new one costs a fraction of a second)
    for item in components:
        yield from component_checks(item, expected_failed_checks=expected_failed_checks, plugins=plugins)
