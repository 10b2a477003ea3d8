"""Ships the repository's data/studies.yaml inside the wheel as ldn_evidence/data/studies.yaml.

The studies file lives at the repository root (where reviewers edit it); setuptools' package-data
only sees files under the package, so build_py copies it in. Editable installs read the root file
directly (see ldn_evidence.records.default_studies_path).
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent


class BuildPyWithStudies(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "ldn_evidence" / "data"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "data" / "studies.yaml", target / "studies.yaml")


setup(cmdclass={"build_py": BuildPyWithStudies})
