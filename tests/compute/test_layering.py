"""``compute/`` is the science layer: it never imports the UI (dash, plotly, explorer)."""

import ast
import subprocess
import sys
from pathlib import Path

COMPUTE = Path(__file__).resolve().parents[2] / "compute"
UI = ("dash", "plotly", "explorer")


def test_no_compute_module_names_the_ui_in_an_import():
    offenders = []
    for path in sorted(COMPUTE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(COMPUTE.parent)}: {n}" for n in names
                          if n.split(".")[0] in UI]
    assert offenders == []


def test_importing_every_compute_module_loads_no_ui_package():
    """Also what the modules pull in indirectly (a dependency that imports plotly...)."""
    script = f"""
import importlib, pkgutil, sys
import compute
for module in pkgutil.walk_packages(compute.__path__, "compute."):
    importlib.import_module(module.name)
print(sorted({{m.split(".")[0] for m in sys.modules}} & set({UI!r})))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=COMPUTE.parent, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
