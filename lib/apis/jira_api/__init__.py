"""Jira Service Management API (through the ``jira`` library).

``connection`` opens clients with the pack's HTTP hygiene; ``issues`` creates issues and
customer requests; ``comments`` adds public or internal comments; ``transitions`` moves issues
through their workflow; ``search`` pages JQL results; ``forms`` reads a ProForma-style form's
answers from an issue property.
"""
