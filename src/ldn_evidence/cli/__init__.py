"""The ``ldn-evidence`` command: thin click commands over the Python API, no statistics here.

One module per command (:mod:`.commands`) over one shared options module (:mod:`._options`); the group and its
error handling are in :mod:`.main`. Each command imports the library it drives when it runs, so
``ldn-evidence --help`` starts without numpy, pydantic or matplotlib.
"""
from ._options import UserError
from .commands.add import add
from .commands.cumulative import cumulative
from .commands.diff import diff
from .commands.export import export
from .commands.forest import forest
from .commands.grade import grade
from .commands.import_sheet import import_sheet
from .commands.init import init
from .commands.outcomes import outcomes
from .commands.prisma import prisma
from .commands.reconcile import reconcile
from .commands.report import report
from .commands.rob import rob
from .commands.schema import schema
from .commands.sensitivity import sensitivity
from .commands.studies import studies
from .commands.summary import summary
from .commands.tsa import tsa
from .commands.validate import validate
from .main import main, run

for _command in (forest, summary, studies, outcomes, validate, schema, sensitivity, add, diff, prisma, cumulative, tsa,
                 rob, grade, init, import_sheet, export, report, reconcile):
    main.add_command(_command)
del _command

__all__ = ["main", "run", "UserError"]
