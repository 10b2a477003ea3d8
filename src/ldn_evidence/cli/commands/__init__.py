"""One module per ``ldn-evidence`` command; :mod:`ldn_evidence.cli` registers them on the group."""
