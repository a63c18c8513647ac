"""Test support shipped with the plugin, so its tests (and integration tests that pair a searcher
with other plugins' spaces and predictors) import it by name: a small structured search space
with table-like objectives (``digit_space``) and each searcher with tiny settings
(``settings``). Not part of the searchers' API."""
