"""pytest at the repository root: what the docstring-example run (--doctest-modules) must not import.

The deprecated forwarding modules (0.1's paths) warn when imported and hold no examples of their
own; ``python -m ldn_evidence.cli`` runs the command when imported.
"""
from ldn_evidence._deprecated import OLD_MODULES

collect_ignore = [f"src/ldn_evidence/{name}.py" for name in OLD_MODULES] + ["src/ldn_evidence/cli/__main__.py"]
