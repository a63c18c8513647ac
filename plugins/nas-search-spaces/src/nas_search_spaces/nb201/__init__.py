"""NAS-Bench-201 / NATS-Bench topology space: its cells, ops, network, shipped table, the space
and the table-lookup evaluators."""
