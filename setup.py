"""Ships the repository's bundled reviews inside the wheel: data/studies.yaml as
ldn_evidence/data/studies.yaml and every data/reviews/<name>/studies.yaml as
ldn_evidence/data/reviews/<name>/studies.yaml.

The studies files live at the repository root (where reviewers edit them); setuptools'
package-data only sees files under the package, so build_py copies them in. Editable installs read
the root files directly (see ldn_evidence.records.default_studies_path and bundled_reviews).
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
        for review in sorted((ROOT / "data" / "reviews").glob("*/studies.yaml")):
            folder = target / "reviews" / review.parent.name
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(review, folder / "studies.yaml")


setup(cmdclass={"build_py": BuildPyWithStudies})
