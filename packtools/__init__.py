"""Development tools for the cloudops pack: contract checks and a local action runner.

Not part of what StackStorm loads at run time; nothing in ``lib/`` imports it.
"""
