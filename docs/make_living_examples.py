"""Make the images and command output shown in docs/living.md (run from the repository root:
python docs/make_living_examples.py). Works on a temporary copy of data/studies.yaml."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner

from ldn_evidence.cli import main
from ldn_evidence.records import default_studies_path, dump_yaml
from ldn_evidence.records.yaml import parse_yaml as _parse

IMG = Path(__file__).parent / "img"


def run(*args):
    r = CliRunner().invoke(main, list(args))
    assert r.exit_code == 0, r.output
    return r.output


def main_():
    IMG.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        full = tmp / "studies.yaml"
        shutil.copyfile(default_studies_path(), full)
        # take Due-Bruun 2024 out, then add it back as a reviewer would
        doc = _parse(full.read_text(encoding="utf-8"), "x")
        # the published meta-analyses name the study among their trials; the example is about
        # adding a study, so both versions leave them out
        doc["review"].pop("published_analyses", None)
        full.write_text(dump_yaml(doc), encoding="utf-8")
        seq = doc["studies"]
        i = [n["id"] for n in seq].index("due_bruun2024")
        (tmp / "due_bruun2024.yaml").write_text("# Due Bruun 2024, extracted 2026-11-25\n" + dump_yaml(seq[i]),
                                                encoding="utf-8")
        del seq[i]
        without = tmp / "without.yaml"
        without.write_text(dump_yaml(doc), encoding="utf-8")
        work = tmp / "work.yaml"
        shutil.copyfile(without, work)
        out = run("--studies", str(work), "add", str(tmp / "due_bruun2024.yaml"), "--dry-run")
        print("$ ldn-evidence add due_bruun2024.yaml --dry-run\n" + out.replace(str(work), "data/studies.yaml"))
        out = run("diff", str(without), str(full), "--outcome", "pain", "--outcome", "fiq")
        print("$ ldn-evidence diff before.yaml after.yaml --outcome pain --outcome fiq\n"
              + out.replace(str(without), "before.yaml").replace(str(full), "after.yaml"))
    print("$ ldn-evidence cumulative -o docs/img/living_cumulative.png\n"
          + run("cumulative", "-o", str(IMG / "living_cumulative.png")))
    print("$ ldn-evidence tsa --mird 0.2 -o docs/img/living_tsa.png\n"
          + run("tsa", "--mird", "0.2", "-o", str(IMG / "living_tsa.png")))
    print(run("prisma", "-o", str(IMG / "living_prisma.png")))


if __name__ == "__main__":
    main_()
