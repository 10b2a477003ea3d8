"""Nothing lost: atomic writes under SIGKILL, the lock serialising writers, and failed adds
leaving the file byte for byte as it was."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from ldn_evidence.errors import LockTimeout
from ldn_evidence.records.files import studies_lock
from ldn_evidence.review.add import add_records
from ldn_evidence.records import StudiesFileError, read_studies

NEW_RECORD = textwrap.dedent("""\
    # a new trial (comment kept)
    id: gamma2022
    citation:
      authors: [Gamma G]
      year: 2022
      title: A second randomized trial of low-dose naltrexone
    doi: 10.1000/gamma.2022
    design: parallel_rct
    randomized: true
    blinding: double
    population: {n_randomized: 30, source: "DOI 10.1000/gamma.2022, Table 1"}
    intervention: {dose_mg_per_day: 4.5, source: "DOI 10.1000/gamma.2022, Methods"}
    comparator: placebo
    line_of_therapy: add_on
    outcomes:
      - outcome: pain
        scale: {min: 0, max: 10, lower_is_better: true}
        timepoint: week 12
        contrast: ldn_vs_placebo
        data:
          - form: arm_means
            arms:
              - {arm: ldn, mean: 4.0, sd: 2.0, n: 15}
              - {arm: placebo, mean: 5.0, sd: 2.0, n: 15}
            source: DOI 10.1000/gamma.2022, Table 2
    """)

# The writer: alternates between two versions of the file through the same atomic path that
# `add` uses (records.atomic_write_text), as fast as it can, until killed.
WRITER = textwrap.dedent("""\
    import sys
    from ldn_evidence.records import atomic_write_text
    path, a, b = sys.argv[1:4]
    texts = [open(a, encoding="utf-8").read(), open(b, encoding="utf-8").read()]
    i = 0
    print("ready", flush=True)
    while True:
        atomic_write_text(path, texts[i % 2])
        i += 1
    """)


@pytest.fixture
def two_versions(tmp_path, valid_text):
    old = tmp_path / "old.yaml"
    old.write_text(valid_text, encoding="utf-8")
    rec = tmp_path / "rec.yaml"
    rec.write_text(NEW_RECORD, encoding="utf-8")
    work = tmp_path / "work.yaml"
    work.write_text(valid_text, encoding="utf-8")
    add_records(work, rec, analyse=False)
    new = tmp_path / "new.yaml"
    new.write_bytes(work.read_bytes())
    assert old.read_bytes() != new.read_bytes()
    return old, new


def test_sigkill_during_writes_leaves_old_or_new(tmp_path, two_versions):
    old, new = two_versions
    target = tmp_path / "studies.yaml"
    target.write_bytes(old.read_bytes())
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    contents = {old.read_bytes(): "old", new.read_bytes(): "new"}
    rng = random.Random(20261125)
    seen = {"old": 0, "new": 0}
    kills = 40
    start = time.monotonic()
    for _ in range(kills):
        proc = subprocess.Popen([sys.executable, str(script), str(target), str(old), str(new)],
                                stdout=subprocess.PIPE)
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.03))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        data = target.read_bytes()
        assert data in contents, "a killed write left a file that is neither the old nor the new version"
        seen[contents[data]] += 1
        read_studies(target)  # loads cleanly
    elapsed = time.monotonic() - start
    # leftovers of killed writes are temporary files beside the target, never the target itself
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".studies.yaml.")]
    assert all(p.suffix == ".tmp" for p in leftovers)
    assert elapsed < 60  # 40 cold interpreters; generous for a loaded 2-core machine
    assert seen["old"] + seen["new"] == kills
    print(f"{kills} kills in {elapsed:.1f} s: file held the old version {seen['old']} times, the new "
          f"{seen['new']} times; {len(leftovers)} temporary files left beside it")


def test_invalid_record_changes_nothing(tmp_path, valid_text):
    studies = tmp_path / "studies.yaml"
    studies.write_text(valid_text, encoding="utf-8")
    before = studies.read_bytes()
    bad = tmp_path / "bad.yaml"
    bad.write_text(NEW_RECORD.replace("n: 15}", "n: -3}", 1), encoding="utf-8")
    with pytest.raises(StudiesFileError) as exc:
        add_records(studies, bad)
    assert any(p.line and p.study == "gamma2022" for p in exc.value.problems)
    assert studies.read_bytes() == before
    dup = tmp_path / "dup.yaml"
    dup.write_text(NEW_RECORD.replace("10.1000/gamma.2022\n", "10.1000/ALPHA.2020\n", 1), encoding="utf-8")
    with pytest.raises(StudiesFileError) as exc:
        add_records(studies, dup)
    assert "alpha2020" in str(exc.value)
    assert studies.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_lock_times_out_with_a_clear_message(tmp_path, valid_text):
    studies = tmp_path / "studies.yaml"
    studies.write_text(valid_text, encoding="utf-8")
    rec = tmp_path / "rec.yaml"
    rec.write_text(NEW_RECORD, encoding="utf-8")
    before = studies.read_bytes()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""\
        import sys, time
        from ldn_evidence.records.files import studies_lock
        with studies_lock({str(studies)!r}):
            print("locked", flush=True)
            time.sleep(30)
        """)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"locked"
        t0 = time.monotonic()
        with pytest.raises(LockTimeout) as exc:
            add_records(studies, rec, lock_timeout=0.5)
        assert time.monotonic() - t0 < 5
        msg = str(exc.value)
        assert "studies.yaml.lock" in msg and "another process" in msg and str(holder.pid) in msg
        assert studies.read_bytes() == before
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    with studies_lock(studies, timeout=1):  # released when the holder died
        pass


def test_two_concurrent_adds_are_serialized(tmp_path, valid_text):
    studies = tmp_path / "studies.yaml"
    studies.write_text(valid_text, encoding="utf-8")
    recs = []
    for i, (sid, doi, title) in enumerate([("gamma2022", "10.1000/gamma.2022", "First concurrent trial of LDN"),
                                           ("delta2022", "10.1000/delta.2022", "Second concurrent study of pain")]):
        p = tmp_path / f"rec{i}.yaml"
        p.write_text(NEW_RECORD.replace("gamma2022", sid).replace("10.1000/gamma.2022", doi)
                     .replace("A second randomized trial of low-dose naltrexone", title), encoding="utf-8")
        recs.append(p)
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, "-c", "from ldn_evidence.cli import main; main()", "--studies", str(studies), "add", str(r)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for r in recs]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    review = read_studies(studies)
    assert [s.id for s in review.studies] == ["alpha2020", "beta2021", "delta2022", "gamma2022"]
    assert "# a new trial (comment kept)" in studies.read_text(encoding="utf-8")
