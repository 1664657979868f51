"""Views stay thin (issue 18): no route function in web/ over 40 lines, and the console's view module under 400.

Logic a view needs goes into a module of its own (web/draft_review.py, web/complaint_list.py, web/actions.py …)
or into models/; this test names the view that grew too long.
"""

from __future__ import annotations

import ast
from pathlib import Path

WEB = Path(__file__).resolve().parents[1] / "web"
ROUTE_METHODS = {"route", "get", "post", "put", "patch", "delete"}
MAX_VIEW_LINES = 40
MAX_CONSOLE_LINES = 400


def _is_route(decorator: ast.expr) -> bool:
    """`@bp.get(...)`, `@app.route(...)` and the like."""
    return (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr in ROUTE_METHODS)


def route_functions(path: Path) -> list[tuple[str, int]]:
    """(name, length in lines from `def` to its last line) of every route function in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [(node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(_is_route(d) for d in node.decorator_list)]


def test_the_checker_sees_routes() -> None:
    names = dict(route_functions(WEB / "console.py"))
    assert {"inbox", "review_submit", "act"} <= set(names)


def test_no_route_function_is_longer_than_40_lines() -> None:
    long = {f"{path.name}:{name}": lines for path in sorted(WEB.glob("*.py"))
            for name, lines in route_functions(path) if lines > MAX_VIEW_LINES}
    assert long == {}, f"views over {MAX_VIEW_LINES} lines (move their logic out): {long}"


def test_the_console_view_module_stays_under_400_lines() -> None:
    lines = len((WEB / "console.py").read_text(encoding="utf-8").splitlines())
    assert lines < MAX_CONSOLE_LINES, f"web/console.py has {lines} lines"
