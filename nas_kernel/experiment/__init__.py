"""The experiment: read once into plain, checked data, then built into components.

Reading (``reader.read_spec``): ``yaml_file`` reads the file safely, ``overrides`` applies
``--set``, ``shape`` checks keys and types and fills defaults (the objective rules it shares with
the Python API are ``nas_kernel.api.objective_rules``); ``identity`` says which experiments are
the same search. Building (``build``): ``component_builder`` builds each ``{name, params}`` with
the plugin manager it is given (``parameter_types`` checks values against annotations), and
``data_check`` matches the space to its data. Every mistake is an ``errors.ConfigError``.
"""

__all__: list = []  # each name lives in its submodule, imported from there
