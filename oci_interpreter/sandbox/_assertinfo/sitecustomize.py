"""Failed asserts that say what the values were, as pytest shows them.

A bare ``assert invoice_total(items) == 18.9`` fails with ``AssertionError`` and nothing
else: whoever repairs the code (the model, in ``oci fix``) cannot see that the function
returned 13.5. This module fills in the message of such an assert the way pytest does::

    AssertionError: assert 13.5 == 18.9
     +  where 13.5 = invoice_total(items)

It runs only inside the sandbox, in programs oci runs to judge a repair: the supervisor
calls :func:`explain` for the program's own uncaught exception, and puts this directory
first on ``PYTHONPATH`` so that Python processes the program starts (a ``--test``
command's ``python check.py``) load it as their ``sitecustomize`` (the next
``sitecustomize`` on the path still runs).

The values are found by evaluating the assert's operands again in the frame that failed
(after the program has failed, so a second call changes nothing the verdict rests on),
for at most a second, with every error swallowed: an explanation that cannot be had is
left out. Standard library only, Python 3.8+ (it runs under the sandbox's interpreter).
"""

import ast
import os
import sys

_MAX_REPR = 200
_MAX_SOURCE = 120


def _short(text, limit):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _repr(value):
    try:
        return _short(repr(value), _MAX_REPR)
    except Exception:
        return "<unprintable>"


def _assert_node(source, lineno):
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    found = None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assert) and node.msg is None
                and node.lineno <= lineno <= (node.end_lineno or node.lineno)
                and (found is None or node.lineno >= found.lineno)):
            found = node
    return found


_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
        ast.GtE: ">=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}


def _message(node, source, frame):
    """``assert 13.5 == 18.9`` and its where-lines, or None."""
    filename = frame.f_code.co_filename

    def value(expr):
        code = compile(ast.Expression(expr), filename, "eval", dont_inherit=True)
        return eval(code, frame.f_globals, frame.f_locals)

    def text(expr):
        return _short(ast.get_source_segment(source, expr) or "", _MAX_SOURCE)

    test = node.test
    negate = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
    if negate:
        test = test.operand
    parts = []
    where = []
    if isinstance(test, ast.Compare) and all(type(op) in _OPS for op in test.ops):
        operands = [test.left, *test.comparators]
        ops = [_OPS[type(op)] for op in test.ops]
    else:
        operands = [test]
        ops = []
    for i, expr in enumerate(operands):
        shown = _repr(value(expr))
        parts.append(shown)
        if i < len(ops):
            parts.append(ops[i])
        if not isinstance(expr, ast.Constant):
            where.append(f" +  where {shown} = {text(expr)}")
    line = "assert " + ("not " if negate else "") + " ".join(parts)
    return "\n".join([line, *where])


def explain(exc, sources=None):
    """Fill in the message of a bare failed assert (in place); never raises."""
    if type(exc) is not AssertionError or exc.args:
        return
    tb = exc.__traceback__
    if tb is None:
        return
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame = tb.tb_frame
    filename = frame.f_code.co_filename
    import signal

    timer = getattr(signal, "ITIMER_REAL", None)
    old = None
    try:
        source = (sources or {}).get(filename)
        if source is None:
            import linecache

            source = "".join(linecache.getlines(filename, frame.f_globals))
        node = _assert_node(source, tb.tb_lineno)
        if node is None:
            return

        def too_slow(signum, stack):
            raise TimeoutError

        if timer is not None:
            try:
                old = signal.signal(signal.SIGALRM, too_slow)
                signal.setitimer(timer, 1.0)
            except (ValueError, OSError):  # not the main thread
                timer = None
        message = _message(node, source, frame)
    except BaseException:
        return
    finally:
        if timer is not None:
            try:
                signal.setitimer(timer, 0)
                if old is not None:
                    signal.signal(signal.SIGALRM, old)
            except Exception:
                pass
    if message:
        exc.args = (message,)


def _hook(kind, value, tb, _previous=sys.excepthook):
    explain(value)  # never raises
    _previous(kind, value, tb)


def _install():
    sys.excepthook = _hook
    # Then the sitecustomize this one shadows (a distribution's, a virtualenv's).
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    mine = sys.modules.pop("sitecustomize", None)
    try:
        import sitecustomize  # noqa: F401
    except ImportError:
        pass
    except Exception:
        pass
    finally:
        if "sitecustomize" not in sys.modules and mine is not None:
            sys.modules["sitecustomize"] = mine


if __name__ == "sitecustomize":
    _install()
