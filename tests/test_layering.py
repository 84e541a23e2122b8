"""One direction through the house: the import graph of kontakt's own packages, checked whole.

Every import counts, at the top of a module or inside a function, and so does every module it
reaches in turn: a package that may not import the store may not import something that does.

    kontakt/, scheduler.py   the application: the pipeline, the CLI, the schedule's wiring
    review/                  the desk (web)            publish/   feeds, pages, mail out
    triage/                  what a read mail means for what is kept (threads, changes, copies)
    store/   intake/   parsers/                        the steps, side by side
    core/                    settings, the exception tree, the mail and event model
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "intake", "parsers", "triage", "store", "review", "publish", "kontakt")
APPLICATION = {"kontakt", "scheduler"}

# what each part may not reach, directly or through anything it imports
FORBIDDEN = {
    "core": {"intake", "parsers", "triage", "store", "review", "publish", "kontakt", "scheduler"},
    "parsers": {"intake", "triage", "store", "review", "publish", *APPLICATION},
    "intake": {"parsers", "triage", "store", "review", "publish", *APPLICATION},
    "triage": {"intake", "parsers", "store", "review", "publish", *APPLICATION},
    "store": {"intake", "parsers", "triage", "review", "publish", *APPLICATION},
    "publish": {"intake", "parsers", "triage", "review", *APPLICATION},
    "review": {"intake", "triage", *APPLICATION},
}
# libraries that belong to one edge of the house only
FORBIDDEN_LIBRARIES = {
    "parsers": {"imapclient", "imaplib", "sqlmodel", "sqlalchemy", "fastapi", "starlette", "smtplib", "socket",
                "urllib3", "requests", "httpx"},
    "triage": {"imapclient", "sqlmodel", "sqlalchemy", "fastapi", "starlette", "spacy"},
    "store": {"imapclient", "imaplib", "fastapi", "starlette", "spacy"},
    "intake": {"sqlmodel", "sqlalchemy", "fastapi", "starlette", "spacy"},
    "review": {"imapclient", "imaplib"},
    "publish": {"imapclient", "imaplib"},
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(path: Path, name: str) -> Iterator[str]:
    """Every module name an import in the file names, relative imports resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield module
            for alias in node.names:  # "from store import repo" imports the module store.repo
                yield f"{module}.{alias.name}"


def import_graph(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    """module -> the modules it imports (own modules by their full name, libraries by their top name)."""
    files = {module_name(p, root): p for pkg in packages if (root / pkg).is_dir() for p in (root / pkg).rglob("*.py")}
    for single in ("scheduler",):
        if (root / f"{single}.py").exists():
            files[single] = root / f"{single}.py"
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets = set()
        for imported in imported_names(path, name):
            if imported in files:
                targets.add(imported)
            elif imported.split(".")[0] not in files and imported.split(".")[0] not in packages:
                targets.add(imported.split(".")[0])
        graph[name] = targets - {name}
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def part_of(module: str) -> str:
    """The part of the house a module belongs to (scheduler.py is the application's, beside kontakt/)."""
    top = module.split(".")[0]
    return "kontakt" if top == "scheduler" else top


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Every way the graph breaks the rule, as sentences."""
    found = []
    for module in sorted(graph):
        part = part_of(module)
        reached = reachable(graph, module)
        for target in sorted(reached):
            if part_of(target) in FORBIDDEN.get(part, ()) and part_of(target) in {part_of(m) for m in graph}:
                found.append(f"{module} reaches {target}")
            elif target in FORBIDDEN_LIBRARIES.get(part, ()) and target in graph.get(module, ()):
                found.append(f"{module} imports the library {target}")
    found.extend(f"import circle: {' -> '.join(cycle)}" for cycle in package_cycles(graph))
    found.extend(f"import circle: {' -> '.join(cycle)}" for cycle in module_cycles(graph))
    return found


def package_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    parts = {part_of(m) for m in graph}
    edges = {p: set() for p in parts}
    for module, targets in graph.items():
        edges[part_of(module)].update(part_of(t) for t in targets if part_of(t) in parts and part_of(t) != part_of(module))
    return _cycles(edges)


def module_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Circles among modules; a package's __init__ re-exporting its own modules is not one."""
    edges = {m: {t for t in ts if t in graph and not t.startswith(m + ".")} for m, ts in graph.items()}
    return _cycles(edges)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One circle per strongly connected component of more than one node (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component) + [sorted(component)[0]])
    return found


def test_the_house_has_one_direction():
    graph = import_graph(ROOT)
    assert {part_of(m) for m in graph} >= {"core", "parsers", "store", "intake", "review", "publish", "kontakt"}
    assert violations(graph) == []


def test_core_imports_nothing_of_ours():
    graph = import_graph(ROOT)
    core = {t for m, ts in graph.items() if part_of(m) == "core" for t in ts}
    assert {part_of(t) for t in core} & set(PACKAGES) <= {"core"}


@pytest.mark.parametrize("broken, expected", [
    # a parser that reaches the store through a helper of its own
    ({"parsers/__init__.py": "from parsers import helper\n", "parsers/helper.py": "def f():\n    import store.repo\n",
      "store/__init__.py": "", "store/repo.py": ""}, "parsers.helper reaches store"),
    # the store knowing the parser's module
    ({"store/__init__.py": "from parsers import extract\n", "parsers/__init__.py": "", "parsers/extract.py": ""},
     "store reaches parsers"),
    # the web reaching the mailbox through the application
    ({"review/__init__.py": "", "review/views.py": "from kontakt.pipeline import run\n",
      "kontakt/__init__.py": "", "kontakt/pipeline.py": "import intake\n", "intake/__init__.py": ""},
     "review.views reaches kontakt"),
    # two modules of one package importing each other
    ({"review/__init__.py": "", "review/app.py": "from review import views\n",
      "review/views.py": "from review.app import render\n"}, "import circle: review.app -> review.views -> review.app"),
    # core importing upwards
    ({"core/__init__.py": "from core import model\n", "core/model.py": "from store import x\n", "store/__init__.py": ""},
     "core.model reaches store"),
    # a parser that opens a socket of its own
    ({"parsers/__init__.py": "import socket\n"}, "parsers imports the library socket"),
])
def test_the_check_catches_a_broken_rule(tmp_path, broken, expected):
    for relative, text in broken.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    assert any(expected in v for v in violations(import_graph(tmp_path)))


def test_scheduler_only_wires_jobs():
    graph = import_graph(ROOT)
    ours = {t.split(".")[0] for t in graph["scheduler"] if t.split(".")[0] in PACKAGES}
    assert ours <= {"core", "kontakt"}, "scheduler.py wires jobs to the application's functions, nothing else"
    tree = ast.parse((ROOT / "scheduler.py").read_text(encoding="utf-8"))
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    assert len(functions) <= 6, "scheduler.py should only wire jobs to functions the CLI also calls"
