"""Opt-in pytest fixtures for plugin tests, like pytest's ``pytester``::

    # conftest.py
    pytest_plugins = ["nas_kernel.testing.fixtures"]

``plugin_manager``: a fresh strict manager with no entry points loaded, so a plugin error in your
test raises with its real traceback. Register your plugin module with
``plugin_manager.register(my_plugin, name="mine")``.

``hook_recorder``: a ``HookRecorder`` registered in ``plugin_manager``; give that manager to a
searcher (``searcher.plugin_manager = plugin_manager``) and read
``hook_recorder.getcalls("on_start_iteration")``.
"""
from __future__ import annotations

import pytest

from nas_kernel.plugins import make_plugin_manager
from nas_kernel.testing._recorder import HookRecorder

__all__ = ["hook_recorder", "plugin_manager"]


@pytest.fixture
def plugin_manager():
    return make_plugin_manager(entrypoints=False, strict=True)


@pytest.fixture
def hook_recorder(plugin_manager):
    recorder = HookRecorder()
    plugin_manager.register(recorder, name="hook_recorder")
    yield recorder
    plugin_manager.unregister(recorder)
