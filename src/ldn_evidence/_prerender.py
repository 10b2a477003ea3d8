"""Overlap the two slow halves of ``ldn-evidence forest``: statistics and matplotlib.

A cold ``ldn-evidence forest`` spends about as long importing matplotlib (~0.2 s) as it spends
importing numpy and pydantic, reading the studies and computing the analysis. On a machine with
two or more cores this module forks a helper process at the start of the command that imports
matplotlib and the forest module while the parent loads the studies and fits the models; the
parent then sends the
plot's inputs (plain data, pickled) through a pipe and the helper draws and saves the figure.

Nothing depends on the helper: if fork is unavailable, matplotlib is already imported (Jupyter,
tests), ``LDN_EVIDENCE_SERIAL`` is set, or the helper fails in any way, the parent draws the figure
itself. The helper never touches the parent's stdio or exit handlers (it leaves by ``os._exit``).
"""
from __future__ import annotations

import os
import pickle
import struct
import sys

__all__ = ["PlotHelper", "start_plot_helper", "configure_matplotlib"]

_HEADER = struct.Struct("!Q")


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, n)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def configure_matplotlib() -> None:
    """Command-line rendering settings: glyphs without hinting. FreeType's hinting costs about a
    third of the drawing time of a forest plot's many short texts and changes nothing in vector
    output; in a PNG at 100 dpi the difference is hard to see."""
    import matplotlib

    matplotlib.rcParams["text.hinting"] = "no_hinting"


def _child(cmd_r: int, res_w: int) -> None:  # pragma: no cover - runs in the forked process
    status = b"error: helper did not start"
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
        from matplotlib.figure import Figure  # noqa: F401

        from .plots.forest import forest_plot

        configure_matplotlib()

        try:
            (size,) = _HEADER.unpack(_read_exact(cmd_r, _HEADER.size))
        except EOFError:
            os._exit(0)  # the parent stopped before plotting (an error, or nothing to plot)
        args, kwargs, output, savefig_kwargs = pickle.loads(_read_exact(cmd_r, size))
        fig = forest_plot(*args, **kwargs)
        fig.savefig(output, **savefig_kwargs)
        status = b"ok"
    except BaseException as exc:  # noqa: BLE001 - report anything; the parent falls back
        status = f"error: {type(exc).__name__}: {exc}".encode("utf-8", "replace")
    try:
        _write_all(res_w, _HEADER.pack(len(status)) + status)
    finally:
        os._exit(0)


class PlotHelper:
    """Handle on the forked plotting process."""

    def __init__(self, pid: int, cmd_w: int, res_r: int):
        self.pid = pid
        self._cmd_w = cmd_w
        self._res_r = res_r
        self._closed = False

    def draw(self, args: tuple, kwargs: dict, output: str, savefig_kwargs: dict) -> str | None:
        """Ask the helper to draw and save; None on success, else the helper's error message."""
        try:
            payload = pickle.dumps((args, kwargs, output, savefig_kwargs), protocol=pickle.HIGHEST_PROTOCOL)
            _write_all(self._cmd_w, _HEADER.pack(len(payload)) + payload)
            os.close(self._cmd_w)
            (size,) = _HEADER.unpack(_read_exact(self._res_r, _HEADER.size))
            status = _read_exact(self._res_r, size).decode("utf-8", "replace")
        except (OSError, EOFError, pickle.PicklingError, TypeError, AttributeError) as exc:
            status = f"error: {type(exc).__name__}: {exc}"
        finally:
            self.close()
        return None if status == "ok" else status

    def close(self) -> None:
        """Release the helper (it exits when its command pipe closes) and reap it."""
        if self._closed:
            return
        self._closed = True
        for fd in (self._cmd_w, self._res_r):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def start_plot_helper() -> PlotHelper | None:
    """Fork the plotting helper when it can help; None when the caller should draw itself."""
    if os.environ.get("LDN_EVIDENCE_SERIAL") or not sys.platform.startswith("linux"):
        return None  # fork after importing numpy is only known to be safe on Linux
    if "matplotlib.figure" in sys.modules:
        return None  # nothing to overlap
    if (os.cpu_count() or 1) < 2:
        return None
    try:
        cmd_r, cmd_w = os.pipe()
        res_r, res_w = os.pipe()
    except OSError:
        return None
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
    except OSError:
        for fd in (cmd_r, cmd_w, res_r, res_w):
            os.close(fd)
        return None
    if pid == 0:  # pragma: no cover - the child
        os.close(cmd_w)
        os.close(res_r)
        _child(cmd_r, res_w)
    os.close(cmd_r)
    os.close(res_w)
    return PlotHelper(pid, cmd_w, res_r)
