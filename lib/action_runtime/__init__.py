"""What the thin st2 runners call: resolve a lib function, build its arguments, run it.

Kept free of heavy imports: StackStorm starts a fresh interpreter for every action run.
"""
