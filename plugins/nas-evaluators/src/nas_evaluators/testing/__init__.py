"""Test support shipped with the plugin, so its tests (and integration tests that combine it with
other plugins) import it by name, as spawned pool workers and Ray workers must: tiny torch models
(``models``, ``device_models``), evaluation functions run in worker processes
(``worker_functions``), and the loopback-only runner of the Ray checks (``isolated``). Not part
of the evaluators' API."""
