"""The package version (one place; read by the package, the CLI and the build)."""

__version__ = "0.2.0"


def provenance(studies_sha256: str | None = None) -> dict:
    """What every JSON output carries: the tool, its version and the SHA-256 of the studies file.

    >>> provenance("0" * 64)["tool"]
    'ldn-evidence'
    """
    return {"tool": "ldn-evidence", "version": __version__, "studies_sha256": studies_sha256}
