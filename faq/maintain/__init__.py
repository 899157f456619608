"""The maintainers' tools: check, scaffold, evaluate, tune. Nothing on the answer path imports them."""
