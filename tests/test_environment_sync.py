"""environment.yml must list the same packages, with the same lower bounds, as pyproject.toml."""

import re
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser from PyPI (declared in the "test" extra for < 3.11)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]

# conda-forge names that differ from PyPI names
CONDA_NAME = {"pyyaml": "pyyaml", "python-docx": "python-docx"}


def _split(requirement: str) -> tuple[str, str]:
    requirement = requirement.split(";")[0]  # an environment marker does not change the name or the bound
    m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", requirement.strip())
    assert m, requirement
    return m.group(1).lower(), m.group(2).replace(" ", "")


def test_environment_lists_every_dependency_with_the_same_bound():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_split(r) for r in project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted.update(_split(r) for r in extra)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(_split(d) for d in env["dependencies"] if isinstance(d, str))
    missing = {n: b for n, b in wanted.items() if CONDA_NAME.get(n, n) not in conda}
    assert not missing, f"in pyproject.toml but not environment.yml: {missing}"
    differ = {n: (b, conda[CONDA_NAME.get(n, n)]) for n, b in wanted.items() if conda[CONDA_NAME.get(n, n)] != b}
    assert not differ, f"bounds differ (pyproject, environment.yml): {differ}"
    extra_in_env = set(conda) - {CONDA_NAME.get(n, n) for n in wanted} - {"python", "pip"}
    assert not extra_in_env, f"in environment.yml but not pyproject.toml: {extra_in_env}"


def test_python_bound_matches():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert project["requires-python"] == ">=3.10"
    assert "python>=3.10" in env["dependencies"]
