"""The project's structure, checked on the source (ast, no imports run): the layering
docs/architecture.md describes holds as the code changes.

- No import cycle between two top-level packages, the project package included: an
  import inside a function counts as much as one at the top. The composition root (the
  project package's settings, urls, asgi, wsgi and routing modules) wires every app
  together, so its imports are not the package's dependencies; no package imports it.
- No `_`-name imported from another module: what another module needs is public.
- No production module over MAX_LINES lines, but the exceptions listed below.
- No production module imports test code (tests reach in through the project's
  testhooks module only, which imports the module the settings name).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Folders with an __init__.py that are not part of what is deployed as the application.
NOT_PRODUCTION = {"tests", "bench", "devtools", "node_modules", "staticfiles", "mongo_migrations"}
COMPOSITION_ROOT = {"settings", "urls", "asgi", "wsgi", "routing"}
MAX_LINES = 300
# module -> why it may be longer. Settings are the one list of configuration, each value read
# from the environment beside the comment that explains it (docs/operations.md is its table).
LONG_MODULES = {
    "eventbooking/settings.py": "the one list of settings, each with its comment",
}


def production_packages():
    return sorted(
        path.name for path in ROOT.iterdir()
        if path.is_dir() and (path / "__init__.py").exists() and path.name not in NOT_PRODUCTION and not path.name.startswith(".")
    )


def project_package():
    (name,) = [name for name in production_packages() if (ROOT / name / "settings.py").exists()]
    return name


def production_modules():
    """(path relative to the root, dotted module name, source) of every production module."""
    for package in production_packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts:
                continue
            dotted = ".".join(rel.with_suffix("").parts)
            yield rel.as_posix(), dotted.removesuffix(".__init__"), path.read_text()


def imports(dotted, source, is_package):
    """(line, imported module, names) of every import in the module, inside functions too;
    relative imports resolved."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = dotted.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join(base + ([module] if module else []))
            yield node.lineno, module, [alias.name for alias in node.names]


def is_composition_root(dotted):
    parts = dotted.split(".")
    return len(parts) == 2 and parts[0] == project_package() and parts[1] in COMPOSITION_ROOT


def package_edges():
    """{(from package, to package): [where]} over production modules, the composition root aside."""
    packages = set(production_packages())
    edges = {}
    for rel, dotted, source in production_modules():
        if is_composition_root(dotted):
            continue
        here = dotted.split(".")[0]
        for line, module, _ in imports(dotted, source, rel.endswith("__init__.py")):
            there = module.split(".")[0]
            if there in packages and there != here:
                edges.setdefault((here, there), []).append(f"{rel}:{line} imports {module}")
    return edges


def test_no_import_cycle_between_top_level_packages():
    edges = package_edges()
    reach = {package: {b for (a, b) in edges if a == package} for package in production_packages()}
    changed = True
    while changed:
        changed = False
        for package, reached in reach.items():
            more = set().union(*(reach[other] for other in reached)) - reached if reached else set()
            if more:
                reached |= more
                changed = True
    cycles = sorted({tuple(sorted([a, b])) for a in reach for b in reach[a] if a < b and a in reach[b]})
    where = []
    for a, b in cycles:
        for pair in ((a, b), (b, a)):
            first = edges.get(pair, ["(through another package)"])[0]
            where.append(f"{pair[0]} -> {pair[1]}: {first}")
    assert not cycles, f"import cycles between packages {cycles}:\n" + "\n".join(where)


def test_nothing_imports_the_composition_root():
    root = project_package()
    found = []
    for rel, dotted, source in production_modules():
        if is_composition_root(dotted):
            continue
        for line, module, names in imports(dotted, source, rel.endswith("__init__.py")):
            targets = [module] + [f"{module}.{name}" for name in names]
            if any(is_composition_root(target) for target in targets if target.startswith(f"{root}.")):
                found.append(f"{rel}:{line} imports {module} {names}")
    assert not found, "the composition root is imported (read settings through django.conf):\n" + "\n".join(found)


def test_no_private_name_imported_from_another_module():
    packages = set(production_packages())
    found = []
    for rel, dotted, source in production_modules():
        for line, module, names in imports(dotted, source, rel.endswith("__init__.py")):
            if module.split(".")[0] not in packages:
                continue
            private = [name for name in names + module.split(".") if name.startswith("_") and not name.startswith("__")]
            if private:
                found.append(f"{rel}:{line} imports {', '.join(private)} from {module}")
    assert not found, "private names imported across modules (make them public, or move them):\n" + "\n".join(found)


def test_no_production_module_over_the_size_limit():
    found = []
    for rel, _, source in production_modules():
        lines = source.count("\n")
        if lines > MAX_LINES and rel not in LONG_MODULES:
            found.append(f"{rel}: {lines} lines")
        if lines <= MAX_LINES and rel in LONG_MODULES:
            found.append(f"{rel}: {lines} lines, listed as long: take it off LONG_MODULES")
    assert not found, f"modules over {MAX_LINES} lines (split them by job):\n" + "\n".join(found)


def test_no_production_module_imports_test_code():
    found = []
    for rel, dotted, source in production_modules():
        for line, module, _ in imports(dotted, source, rel.endswith("__init__.py")):
            if module.split(".")[0] in NOT_PRODUCTION - {"mongo_migrations"}:
                found.append(f"{rel}:{line} imports {module}")
    assert not found, "production code imports test or tool code:\n" + "\n".join(found)


def test_the_checks_see_the_project():
    """The checks above read the modules they are about (a wrong root passes them all)."""
    modules = {rel for rel, _, _ in production_modules()}
    assert project_package() in production_packages()
    assert {"bookings/services/reserve.py", "bookings/rules.py", "events/store.py"} <= modules
    assert package_edges(), "no imports between packages found"
