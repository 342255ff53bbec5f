"""``qonys demo-data``: synthetic applicants and applications for demos and the bench.

A generator, not a rule: every number it writes comes from the services'
functions (see :mod:`cli.demo.generator`). The command itself is
:mod:`cli.demo.command`; ``register`` adds it to the main app."""

from cli.demo.command import register

__all__ = ["register"]
