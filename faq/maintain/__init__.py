"""The maintainers' tools: check, scaffold, evaluate, tune (the answer path never imports them)."""
