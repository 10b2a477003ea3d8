"""``python -m ldn_evidence.cli``: the same as the ``ldn-evidence`` command."""
from .main import run

run()
