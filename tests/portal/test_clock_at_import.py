"""No test module reads the clock when pytest collects it.

A run that crosses midnight in the portal's time zone (Asia/Shanghai: 16:00 UTC) otherwise
compares the day read at collection with the portal's today minutes later, and tests of "today"
fail for the whole run (tests.clock explains the remedy). Decorators and default arguments count:
they are read at collection too.
"""

import ast
import pathlib

CLOCK_CALLS = {"localdate", "localtime", "now", "today", "utcnow"}
TESTS = pathlib.Path(__file__).resolve().parents[1]


def clock_reads_at_import(tree: ast.AST) -> list[str]:
    found = []

    def visit(node, in_body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            if not isinstance(node, ast.Lambda):
                for decorator in node.decorator_list:
                    visit(decorator, in_body)
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                if default is not None:
                    visit(default, in_body)
            for child in node.body if isinstance(node.body, list) else [node.body]:
                visit(child, True)
            return
        if isinstance(node, ast.Call) and not in_body:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in CLOCK_CALLS:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
        for child in ast.iter_child_nodes(node):
            visit(child, in_body)

    visit(tree, False)
    return found


def test_the_scan_finds_a_module_constant_and_a_parametrised_day():
    source = (
        "import pytest\nfrom django.utils import timezone\nTODAY = timezone.localdate()\n"
        "@pytest.mark.parametrize('on', [timezone.now()])\ndef test_x(on, day=None):\n    timezone.now()\n"
    )
    assert clock_reads_at_import(ast.parse(source)) == ["line 3: timezone.localdate()", "line 4: timezone.now()"]


def test_no_test_module_reads_the_clock_at_collection():
    offenders = {
        str(path.relative_to(TESTS)): found
        for path in sorted(TESTS.rglob("*.py"))
        if (found := clock_reads_at_import(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}
