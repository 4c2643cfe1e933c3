"""The layers hold: components/ and stacks/ never import labctl/, there are no import cycles, modules stay small.

Imports are read from the source (ast), every `import`/`from` anywhere in a module, so a lazy import counts too.
"""

from __future__ import annotations

import ast
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


def test_no_import_cycles_at_module_level():
    modules = _modules()
    graph = {
        name: {i for i in _imports(path, top_level_only=True) if i in modules and i != name}
        for name, path in modules.items()
    }
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_no_module_is_over_400_lines():
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in _modules().items()}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


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


# Split by concern, not by size: a function this long does several things (issue 19). The packages listed have
# been split; add a package here once its functions are.
MAX_FUNCTION_LINES = 80
SPLIT_PACKAGES = ("labctl.classroom", "labctl.stackfile")


def test_no_function_is_over_80_lines_in_the_split_packages():
    long = {}
    for name, path in _modules().items():
        if not name.startswith(SPLIT_PACKAGES):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if lines > MAX_FUNCTION_LINES:
                    long[f"{name}.{node.name}"] = lines
    assert long == {}
