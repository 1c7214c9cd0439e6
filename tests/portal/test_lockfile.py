"""The lock files of the Python dependencies (requirements/base.txt and requirements/dev.txt, made by
`make lock` from pyproject.toml): every package pinned with `==` and hashes, every dependency of
pyproject.toml locked at a version its range allows, and nothing locked that pyproject no longer
asks for, so that a forgotten `make lock` fails here rather than in a deployment.
"""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCKS = {"base": ROOT / "requirements" / "base.txt", "dev": ROOT / "requirements" / "dev.txt"}
# pip-compile names the project as what asked for a top-level dependency.
FROM_PYPROJECT = "hongfan (pyproject.toml)"


def pyproject_requirements():
    """{"base": [Requirement], "dev": [Requirement]}: what each lock must contain (dev includes base)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = [Requirement(spec) for spec in project["dependencies"]]
    return {"base": base, "dev": base + [Requirement(spec) for spec in project["optional-dependencies"]["dev"]]}


def parse_lock(path):
    """{name: {"spec", "version", "hashes", "via"}} for each entry of a pip-compile output file."""
    entries, current = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            comment = stripped.lstrip("#").strip()
            if current is not None:
                # "# via x" on one line, or "# via" followed by one "#   x" line per package.
                if comment.startswith("via"):
                    comment = comment[len("via") :].strip()
                if comment:
                    current["via"].append(comment)
            continue
        if line.startswith(" "):
            assert current is not None, f"{path.name}: an option line before any requirement: {line!r}"
            current["hashes"] += re.findall(r"--hash=(\S+)", stripped)
            continue
        spec = stripped.rstrip("\\").strip()
        assert not spec.startswith("-"), f"{path.name}: an option in the lock file: {spec!r}"
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name not in entries, f"{path.name}: {name} locked twice"
        current = entries[name] = {"spec": requirement, "version": None, "hashes": [], "via": []}
        pins = [s.version for s in requirement.specifier if s.operator == "=="]
        if len(requirement.specifier) == 1 and pins:
            current["version"] = pins[0]
    return entries


@pytest.fixture(scope="module")
def locks():
    return {kind: parse_lock(path) for kind, path in LOCKS.items()}


@pytest.mark.parametrize("kind", LOCKS)
def test_every_locked_package_is_pinned_with_hashes(locks, kind):
    assert locks[kind], f"{LOCKS[kind]} is empty"
    for name, entry in locks[kind].items():
        assert entry["version"], f"{kind}.txt: {name} is not pinned with == ({entry['spec']})"
        assert not entry["spec"].extras, f"{kind}.txt: {name} keeps extras: lock with --strip-extras"
        assert entry["hashes"], f"{kind}.txt: {name} has no hash (pip install --require-hashes would refuse)"
        assert all(h.startswith("sha256:") for h in entry["hashes"]), f"{kind}.txt: {name}"


@pytest.mark.parametrize("kind", LOCKS)
def test_every_dependency_of_pyproject_is_locked_within_its_range(locks, kind):
    for requirement in pyproject_requirements()[kind]:
        name = canonicalize_name(requirement.name)
        assert name in locks[kind], f"{requirement} of pyproject.toml is not in {kind}.txt: run `make lock`"
        version = locks[kind][name]["version"]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{kind}.txt pins {name}=={version}, outside pyproject's {requirement}: run `make lock`"
        )


@pytest.mark.parametrize("kind", LOCKS)
def test_nothing_is_locked_that_pyproject_no_longer_asks_for(locks, kind):
    wanted = {canonicalize_name(r.name) for r in pyproject_requirements()[kind]}
    stale = sorted(name for name, entry in locks[kind].items() if FROM_PYPROJECT in entry["via"] and name not in wanted)
    assert not stale, f"{kind}.txt still locks {stale}, gone from pyproject.toml: run `make lock`"
    # Each package is locked because pyproject.toml or another locked package asks for it.
    for name, entry in locks[kind].items():
        assert entry["via"], f"{kind}.txt: {name} without a `# via` annotation"


def test_dev_lock_keeps_the_runtime_pins(locks):
    """CI and .venv test the versions that production runs (dev.txt is made with -c base.txt)."""
    for name, entry in locks["base"].items():
        assert name in locks["dev"], f"{name} of base.txt is missing from dev.txt"
        assert locks["dev"][name]["version"] == entry["version"], f"{name}: base.txt and dev.txt pin other versions"
        assert set(locks["dev"][name]["hashes"]) == set(entry["hashes"]), f"{name}: other hashes in dev.txt"


@pytest.mark.parametrize("kind", LOCKS)
def test_lock_files_say_how_they_are_made_and_name_no_index(kind):
    text = LOCKS[kind].read_text(encoding="utf-8")
    assert "autogenerated by pip-compile with Python 3.11" in text
    assert re.search(r"^#\s+make lock$", text, re.MULTILINE), "the header must name `make lock`"
    # The lock works against any index or mirror: no machine's index, links or paths in it.
    for marker in ("--index-url", "--extra-index-url", "--find-links", "--trusted-host", "file:", "/opt/", "/work/"):
        assert marker not in text, f"{kind}.txt names {marker!r}: lock with --no-emit-index-url"


def test_makefile_and_dockerfile_install_from_the_locks():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^\$\(VENV\)/\.installed:(.*)$\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert target, "the .venv install target is missing"
    prerequisites, recipe = target.group(1).split(), target.group(2)
    assert "requirements/dev.txt" in prerequisites, "a changed lock must reinstall .venv"
    assert "--require-hashes -r requirements/dev.txt" in recipe
    assert "--no-deps -e ." in recipe
    assert re.search(r"^lock:", makefile, re.MULTILINE)
    assert "--generate-hashes" in makefile
    assert "--no-emit-index-url" in makefile

    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --require-hashes -r requirements/base.txt" in dockerfile
    assert "COPY requirements/base.txt" in dockerfile
