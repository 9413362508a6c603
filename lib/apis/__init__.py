"""One package per outside system the pack talks to. Nothing here imports st2."""
