"""The layers hold: components/ and stacks/ never import labctl/, there are no import cycles (not even through a
function-level import), modules and functions stay small.

Imports are read from the source (ast), every `import`/`from` anywhere in a module, so a lazy import counts too.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from labctl.project import PROJECT_DIR

PACKAGES = ("components", "stacks", "labctl", "facts")
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((PROJECT_DIR / package).rglob("*.py")):
            parts = path.relative_to(PROJECT_DIR).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.If) and top_level_only:
            continue  # `if TYPE_CHECKING:` imports are for the type checker, not a runtime edge
    return names


def test_components_and_stacks_never_import_labctl():
    offenders = {
        name: sorted(i for i in _imports(path, top_level_only=False) if i.split(".")[0] == "labctl")
        for name, path in _modules().items()
        if name.split(".")[0] in ("components", "stacks")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_facts_import_nothing_of_the_project():
    # The layer below everything: components, stacks, labctl and the policy pack all read it.
    offenders = {
        name: sorted(i for i in _imports(path, top_level_only=False) if i.split(".")[0] in PACKAGES[:3])
        for name, path in _modules().items()
        if name.startswith("facts")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_components_never_import_stacks():
    # Components know nothing of stack config: the stack layer passes what they need in their Args.
    offenders = {
        name: sorted(i for i in _imports(path, top_level_only=False) if i.split(".")[0] == "stacks")
        for name, path in _modules().items()
        if name.startswith("components")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import graph's strongly connected components of more than one module (Tarjan): each is a cycle, or
    several sharing modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = stack[stack.index(node) :]
            del stack[stack.index(node) :]
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(found)


def _import_graph(*, top_level_only: bool) -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {i for i in _imports(path, top_level_only=top_level_only) if i in modules and i != name}
        for name, path in modules.items()
    }


def test_no_import_cycles_at_module_level():
    assert _cycles(_import_graph(top_level_only=True)) == []


# Cycles closed only by an import inside a function (or under `if TYPE_CHECKING:`), which other helpers of issue 19
# are taking apart now. Python tolerates them, readers do not: a module that must import its own importer lazily
# belongs elsewhere. Remove an entry when its cycle is gone (the test fails until you do); this list ends empty.
KNOWN_LAZY_CYCLES = [
    ["labctl.classroom.handout", "labctl.classroom.handout_render"],
    ["labctl.classroom.handout_run", "labctl.classroom.run"],
]


def test_no_import_cycles_not_even_through_a_lazy_import():
    # A function-level import dodges the cycle at import time, not the circle in the design (issue 19: the smoke
    # modules imported each other this way). Lazy imports that run one way (start-up speed, `labctl diff`'s
    # revision contract) are fine.
    cycles = _cycles(_import_graph(top_level_only=False))
    assert [c for c in cycles if c not in KNOWN_LAZY_CYCLES] == []
    assert [c for c in KNOWN_LAZY_CYCLES if c not in cycles] == [], "gone: remove from KNOWN_LAZY_CYCLES"


def test_the_cycle_finder_finds_a_cycle_closed_by_a_lazy_import(tmp_path):
    # The check above only means something if a function-level import counts as an edge.
    (tmp_path / "a.py").write_text("import b\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("def later():\n    import a\n", encoding="utf-8")
    graph = {
        name: {
            i
            for i in _imports(tmp_path / f"{name}.py", top_level_only=False)
            if i in ("a", "b") and i != name
        }
        for name in ("a", "b")
    }
    assert _cycles(graph) == [["a", "b"]]
    lazy_free = {
        name: {i for i in _imports(tmp_path / f"{name}.py", top_level_only=True) if i in ("a", "b")}
        for name in ("a", "b")
    }
    assert _cycles(lazy_free) == []


def test_no_module_is_over_400_lines():
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in _modules().items()}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


MAX_FUNCTION_LINES = 80
# Functions over MAX_FUNCTION_LINES that other helpers of issue 19 are splitting now. Remove an entry when its
# function is short enough (the test fails until you do); this list ends empty.
LONG_FUNCTIONS_BEING_SPLIT = []


def _function_lengths(tree: ast.Module) -> dict[str, int]:
    """Lines from `def` to the last line of the body, by qualified name (`Class.method`, `outer.inner`)."""
    lengths: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    lengths[name] = (child.end_lineno or child.lineno) - child.lineno + 1
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return lengths


def test_no_function_is_over_80_lines():
    # A function that long does several things (issue 19: split by concern, not by size).
    long = sorted(
        f"{module}:{name}"
        for module, path in _modules().items()
        for name, lines in _function_lengths(ast.parse(path.read_text(encoding="utf-8"))).items()
        if lines > MAX_FUNCTION_LINES
    )
    assert [f for f in long if f not in LONG_FUNCTIONS_BEING_SPLIT] == []
    assert [f for f in LONG_FUNCTIONS_BEING_SPLIT if f not in long] == [], "split: remove from the list"


def test_function_lengths_count_methods_and_nested_functions():
    source = textwrap.dedent(
        """
        class A:
            def m(self):
                x = 1
                return x

        def f():
            def g():
                pass
            return g
        """
    )
    assert _function_lengths(ast.parse(source)) == {"A.m": 3, "f": 4, "f.g": 2}


def test_the_planner_imports_nothing_from_todays_stacks_at_import_time():
    # labctl/cli.py's contract: `labctl diff` plans an older revision with today's labctl and that revision's
    # stacks/ (tests/labctl/review/test_revision_contract.py runs it). What the CLI and the planner import at
    # module level must therefore not include stacks/ modules an older revision may lack.
    modules = _modules()
    start = ["labctl.cli", "labctl.plan.command", "labctl.plan.runtime", "labctl.plan.mockcloud"]
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen or name not in modules:
            continue
        seen.add(name)
        todo += [i for i in _imports(modules[name], top_level_only=True) if i.startswith("labctl")]
    stacks_imports = {
        name: sorted(i for i in _imports(modules[name], top_level_only=True) if i.startswith("stacks"))
        for name in seen
    }
    assert {k: v for k, v in stacks_imports.items() if v} == {}


# Modules outside labctl/stackfile that read YAML, and the file each reads: never a stack file. The fact layers
# (facts/, stacks/facts/) read their own YAML. `pulumi up` has no loader here: the Pulumi CLI parses the stack
# file and the program reads the runtime's config (stacks/config/source.py:settings_from_pulumi).
YAML_READERS = {
    "labctl.classroom.i18n": "the handouts' texts: labctl/classroom/locales/*.yaml, refusals.yaml",
    "labctl.guardrails.csharp_expressions": "the policy expressions' type table beside it",
    "labctl.guardrails.dev_examples": "dev_examples.yaml beside it",
}
FACT_PACKAGES = ("facts", "stacks.facts")
STACK_FILE_OWNER = "labctl.stackfile"


def test_the_stack_file_is_parsed_and_written_only_by_its_owner():
    readers = {}
    for name, path in _modules().items():
        roots = {i.split(".")[0] for i in _imports(path, top_level_only=False)}
        if roots & {"yaml", "ruamel"}:
            readers[name] = roots & {"yaml", "ruamel"}
    owner = {n for n in readers if n == STACK_FILE_OWNER or n.startswith(f"{STACK_FILE_OWNER}.")}
    # A round-trip edit keeps comments and key order: only the owner edits, so only it loads the file that way.
    assert {n for n, roots in readers.items() if "ruamel" in roots} <= owner
    facts = {n for n in readers if n in FACT_PACKAGES or n.startswith(tuple(f"{p}." for p in FACT_PACKAGES))}
    assert set(readers) - owner - facts <= set(YAML_READERS)
    assert owner, "labctl/stackfile no longer reads YAML: this test no longer guards anything"
