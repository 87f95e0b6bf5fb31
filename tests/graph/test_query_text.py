"""No Cypher or SQL is assembled from values: every query handed to a driver is constant text.

The check reads the storage code: the query argument of every call that sends a statement must
be a string literal, a concatenation of literals, or a module/class constant (or an item of one)
that is itself built only from literals, or a fragment helper (FRAGMENTS) called on such text; each
helper's own body is checked to build only from literals and its arguments. A funnel (FUNNELS) passes
its query parameter on, and its callers are checked instead. User values travel as parameters only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

GRAPH = Path(__file__).resolve().parents[2] / "graph"
FUNNELS = {"_run", "_many", "_concat", "_stream", "_pages", "_batches", "_admin", "probe", "run"}
SENDERS = {
    "_run": 0,
    "_many": 0,
    "_concat": 0,
    "_stream": 0,
    "_pages": 0,
    "_batches": 0,
    "_admin": 0,
    "probe": 0,
    "execute": 0,
    "executemany": 0,
    "execute_query": 0,
    "run": 0,
}
# Query fragment helpers: their result is text made of literals and their (checked) arguments.
FRAGMENTS = {
    "at": GRAPH / "neo4j" / "db.py",
    "time_of": GRAPH / "neo4j" / "db.py",
    "with_caller_check": GRAPH / "neo4j" / "access.py",
}


def _constants(tree: ast.Module) -> dict[str, ast.AST]:
    out: dict[str, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and t.id.lstrip("_").isupper() and node.value is not None:
                    out[t.id] = node.value
    return out


def _int(node: ast.AST, consts: dict[str, ast.AST], ints: frozenset[str]) -> bool:
    """True when `node` is an integer we wrote: a literal, an integer constant, a range() loop variable,
    or sums and products of those."""
    match node:
        case ast.Constant(value=int()):
            return True
        case ast.Name(id=name) if name in ints:
            return True
        case ast.Name(id=name) if name in consts:
            return _int(consts[name], consts, ints)
        case ast.BinOp(op=ast.Add() | ast.Sub() | ast.Mult(), left=left, right=right):
            return _int(left, consts, ints) and _int(right, consts, ints)
    return False


def _range_names(generators: list[ast.comprehension], consts: dict[str, ast.AST]) -> frozenset[str] | None:
    """The loop variables of comprehensions over range(<our integers>), or None for any other loop."""
    names = set()
    for gen in generators:
        match gen:
            case ast.comprehension(
                target=ast.Name(id=name), iter=ast.Call(func=ast.Name(id="range"), args=args), ifs=[]
            ) if all(_int(a, consts, frozenset()) for a in args):
                names.add(name)
            case _:
                return None
    return frozenset(names)


def _safe(
    node: ast.AST,
    consts: dict[str, ast.AST],
    local: dict[str, ast.AST],
    depth: int = 0,
    ints: frozenset[str] = frozenset(),
) -> bool:
    """True when `node` can only evaluate to text written in this file (with our own integers in it)."""
    if depth > 20:
        return False
    rec = lambda n: _safe(n, consts, local, depth + 1, ints)  # noqa: E731
    match node:
        case ast.Constant(value=str()):
            return True
        case ast.Call(func=ast.Name(id="str"), args=[arg]):
            return _int(arg, consts, ints)
        case ast.Call(func=ast.Name(id="cast"), args=[_, inner]):
            return rec(inner)
        case ast.Call(func=ast.Name(id=name), args=args, keywords=[]) if name in FRAGMENTS:
            return all(rec(a) for a in args)
        case ast.Call(func=ast.Attribute(attr="replace", value=value), args=[old, new]):
            return rec(value) and rec(old) and rec(new)
        case ast.Call(
            func=ast.Attribute(value=ast.Constant(value=str()), attr="join"),
            args=[ast.GeneratorExp(elt=elt, generators=[ast.comprehension(target=ast.Name(id=name), ifs=[])] as gens)],
        ) if _literal_words(gens[0].iter, consts):
            # a column table: "sep".join(<text of literals and the column> for column in COLUMNS)
            return _safe(elt, consts, {**local, name: ast.Constant(value="")}, depth + 1, ints)
        case ast.Call(
            func=ast.Attribute(value=ast.Constant(value=str()), attr="join"),
            args=[ast.GeneratorExp(elt=elt, generators=generators)],
        ):
            names = _range_names(generators, consts)
            return names is not None and _safe(elt, consts, local, depth + 1, ints | names)
        case ast.Call(func=ast.Attribute(value=ast.Constant(value=str()), attr="join"), args=[words]):
            return _literal_words(words, consts)
        case ast.BinOp(op=ast.Add(), left=left, right=right):
            return rec(left) and rec(right)
        case ast.Name(id=name) if name in local:
            return rec(local[name])
        case ast.Name(id=name) if name in consts:
            return rec(consts[name])
        case ast.Attribute(value=ast.Name(id="self"), attr=attr) if attr in consts:
            return rec(consts[attr])
        case ast.IfExp(body=body, orelse=orelse):
            return rec(body) and rec(orelse)
        case ast.Subscript(value=value):
            return rec(value)
        case ast.Dict(values=values):
            return all(rec(v) for v in values)
        case ast.Tuple(elts=elts):
            return all(rec(e) for e in elts)
        case ast.DictComp(value=value):
            return _template(value, consts, local)
        case ast.Call(func=ast.Attribute(attr="split"), args=[]) | ast.Call(func=ast.Attribute(attr="split")):
            return rec(node.func.value)  # type: ignore[attr-defined]
    return False


def _literal_words(node: ast.AST, consts: dict[str, ast.AST]) -> bool:
    """A tuple of string literals written in this file (directly, by constant name, or a slice of one)."""
    match node:
        case ast.Name(id=name) if name in consts:
            return _literal_words(consts[name], consts)
        case ast.Subscript(value=value, slice=ast.Slice()):
            return _literal_words(value, consts)
        case ast.Tuple(elts=elts):
            return all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in elts)
    return False


def _template(node: ast.AST, consts: dict[str, ast.AST], local: dict[str, ast.AST]) -> bool:
    """Prepared per-depth queries: TEMPLATE.replace(marker, str(<loop integer>)) or a label literal."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "replace":
        value_ok = _template(node.func.value, consts, local)
        arg = node.args[1]
        arg_ok = (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id == "str") or isinstance(
            arg, ast.Name
        )  # a loop variable over a literal tuple of labels
        return value_ok and arg_ok
    return _safe(node, consts, local)


def _query_calls(path: Path) -> list[tuple[int, bool]]:
    tree = ast.parse(path.read_text())
    consts = _constants(tree)
    found: dict[tuple[int, int], bool] = {}
    inside_funnels = {
        id(node)
        for func in ast.walk(tree)
        if isinstance(func, ast.FunctionDef) and func.name in FUNNELS
        for node in ast.walk(func)
    }
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef) or id(func) in inside_funnels:
            continue  # the funnels pass their query parameter on; their callers are checked
        local: dict[str, ast.AST] = {}
        for node in ast.walk(func):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Name):
                        local[t.id] = node.value
            if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
                local[node.target.id] = node.iter
        for node in ast.walk(func):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                index = SENDERS.get(node.func.attr)
                if index is None or len(node.args) <= index:
                    continue
                key = (node.lineno, node.col_offset)
                found[key] = found.get(key, False) or _safe(node.args[index], consts, local)
    return [(line, ok) for (line, _), ok in sorted(found.items())]


# Every module below graph/, however deep: a store split into packages cannot escape the check.
MODULES = sorted(GRAPH.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(GRAPH)))
def test_every_query_is_constant_text(path: Path) -> None:
    calls = _query_calls(path)
    bad = sorted({line for line, ok in calls if not ok})
    assert not bad, f"{path.relative_to(GRAPH)}: query text not provably constant at lines {bad}"


def test_the_check_reads_modules_in_subpackages(tmp_path: Path) -> None:
    assert all(p.suffix == ".py" for p in MODULES) and GRAPH / "neo4j" / "clients.py" in MODULES
    nested = tmp_path / "graph" / "store" / "deep"
    nested.mkdir(parents=True)
    (nested / "q.py").write_text("def bad(tx, name):\n    tx.run('MATCH (c {name: \"' + name + '\"})')\n")
    assert [p.name for p in sorted((tmp_path / "graph").rglob("*.py"))] == ["q.py"]
    assert [ok for _, ok in _query_calls(nested / "q.py")] == [False]


def test_the_check_catches_spliced_text(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "Q = 'MATCH (c) RETURN c'\n"
        "def ok(tx):\n    tx.run(Q + ' LIMIT 1')\n"
        "def bad(tx, name):\n    tx.run('MATCH (c {name: \"' + name + '\"}) RETURN c')\n"
        "def worse(conn, col):\n    conn.execute(f'SELECT {col} FROM t')\n"
    )
    assert [ok for _, ok in _query_calls(sample)] == [True, False, False]


def test_the_check_allows_only_our_own_integers_in_unrolled_text(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "N = 3\n"
        "STEP = ' MATCH (x@)'\n"
        "Q = 'RETURN 1' + ''.join(STEP.replace('@', str(k + 1)) for k in range(N))\n"
        "def ok(tx):\n    tx.run(Q)\n"
        "def bad(tx, names):\n    tx.run(''.join(STEP.replace('@', n) for n in names))\n"
        "def worse(tx, k):\n    tx.run(STEP.replace('@', str(k)))\n"
    )
    assert [ok for _, ok in _query_calls(sample)] == [True, False, False]


def test_the_check_allows_column_tables_of_literals_only(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "COLS = ('id', 'name')\n"
        "Q = 'INSERT INTO t(' + ', '.join(COLS) + ') VALUES (' + ', '.join(':' + c for c in COLS) + ')'\n"
        "def ok(conn):\n    conn.execute(Q)\n"
        "def bad(conn, cols):\n    conn.execute('SELECT ' + ', '.join(cols))\n"
        "def worse(conn, cols):\n    conn.execute('SELECT ' + ', '.join(c + ' = 1' for c in cols))\n"
    )
    assert [ok for _, ok in _query_calls(sample)] == [True, False, False]


def test_stores_send_queries() -> None:
    for store in ("neo4j", "sqlite"):
        assert sum(len(_query_calls(p)) for p in sorted((GRAPH / store).rglob("*.py"))) > 30


def _helper_is_safe(path: Path, name: str) -> bool:
    """The helper's every return builds only from literals and its parameters (taken as literals)."""
    tree = ast.parse(path.read_text())
    consts = _constants(tree)
    [func] = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
    params = {a.arg: ast.Constant(value="") for a in func.args.args}
    returns = [n.value for n in ast.walk(func) if isinstance(n, ast.Return) and n.value is not None]
    return bool(returns) and all(_safe(r, consts, params) for r in returns)


@pytest.mark.parametrize("name", sorted(FRAGMENTS))
def test_fragment_helpers_build_only_from_their_arguments(name: str) -> None:
    assert _helper_is_safe(FRAGMENTS[name], name)


def test_the_check_allows_fragment_helpers_on_literals_only(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "Q = 'UNWIND $rows AS row CREATE (c) SET c = row{' + at('created_at') + '}'\n"
        "def ok(tx):\n    tx.run(Q)\n"
        "def bad(tx, field):\n    tx.run('RETURN {' + at(field) + '}')\n"
    )
    assert [ok for _, ok in _query_calls(sample)] == [True, False]
    helper = tmp_path / "helper.py"
    helper.write_text("import os\ndef at(field):\n    return field + os.environ['X']\n")
    assert not _helper_is_safe(helper, "at")
