"""What runs INSIDE a sandboxed child (student side of the boundary): never trusted.

Two loops, both speaking JSON lines on the child's socket:

* :func:`serve_answers` points the tripwire (:mod:`autograder.harness.tripwire`, armed by the
  warm parent) at its report descriptor, executes an answer program in a fresh namespace (saying
  when each cell is done), then answers
  ``has``/``call``/``call_many``/``get``/``op`` requests the way
  :class:`autograder.checks.LocalStudent` does (``to_plain`` + JSON, :mod:`autograder.protocol`);
* :func:`serve_notebook` executes notebook cells with IPython's ``InteractiveShell`` and
  reports each cell's outputs as nbformat-style dicts (stream, execute_result,
  display_data incl. inline matplotlib figures, error).

Everything here can be tampered with by the student's code, which shares the process:
the trusted side re-validates every message it receives.
"""
from __future__ import annotations

import builtins
import io
import json
import os
import sys
import warnings
from typing import Any

from autograder.harness import Harness, tripwire
from autograder.protocol import encode, error_payload, to_plain
from autograder.sandbox._wire import Channel
from autograder.sandbox.policy import Limits

# Set by the server before forking (see _server.make_shell); None until then.
SHELL: Any = None


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)[:500]
    except BaseException:  # noqa: BLE001 - a student's __str__ may raise anything
        return "<unprintable exception>"


class _CappedText(io.TextIOBase):
    """A text stream that keeps at most ``cap`` characters, then calls ``overflow``."""

    def __init__(self, name: str, cap: int, sink: Any, overflow: Any) -> None:
        self.name = name
        self._cap = cap
        self._sink = sink
        self._overflow = overflow

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._sink(self.name, text)
        return len(text)

    def flush(self) -> None:
        pass


# --------------------------------------------------------------------------- answers


class _Counter:
    def __init__(self, cap: int, overflow: Any) -> None:
        self.cap = cap
        self.used = 0
        self.kept: list[str] = []
        self.overflow = overflow

    def __call__(self, name: str, text: str) -> None:
        self.used += len(text.encode("utf-8", "replace"))
        if self.used > self.cap:
            self.overflow()
        if sum(len(t) for t in self.kept) < 65536:
            self.kept.append(text)


def _compile(source: str, label: str) -> Any:
    try:
        return compile(source, f"<{label}>", "exec")
    except SyntaxError:
        # Cell magics / shell escapes (``%matplotlib inline``): let IPython translate them.
        if SHELL is None:
            raise
        translated = SHELL.transform_cell(source)
        return compile(translated, f"<{label}>", "exec")


def serve_answers(chan: Channel, limits: Limits, harness: Harness, report_fd: int | None) -> None:
    """Load the program, then answer requests until the trusted side hangs up; the tripwire
    (armed by the warm parent) reports its hits to ``report_fd``."""
    reply_cap = limits.reply_bytes

    def unavailable(reason: str) -> None:
        try:
            chan.send({"unavailable": reason}, timeout=5)
        finally:
            os._exit(0)

    counter = _Counter(limits.output_bytes, lambda: unavailable("output_limit"))
    sys.stdout = _CappedText("stdout", counter.cap, counter, None)
    sys.stderr = _CappedText("stderr", counter.cap, counter, None)

    start = chan.recv(None, 1 << 30)
    program = start["program"]
    # Before any student code: every hit of the tripwire goes to the trusted side as it
    # happens, and the operations are bound here, so rebinding the harness module's names
    # changes nothing.
    tripwire.report_to(report_fd)
    operations = dict(harness.operations)
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    if SHELL is not None:
        namespace["get_ipython"] = lambda: SHELL
    errors: dict[str, str] = {}
    for label, source in program:
        try:
            exec(_compile(source, label), namespace)  # noqa: S102 - this IS the sandbox
        except MemoryError:
            unavailable("memory")
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt included
            err = error_payload(exc)
            errors[str(label)] = f"{(err['kinds'] or ['Error'])[0]}: {err['message']}"
        chan.send({"ran": str(label)})  # the trusted side times every cell on its own
    chan.send({"loaded": errors})

    def answer(fn: Any) -> dict[str, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = fn()
            except MemoryError:
                unavailable("memory")
            except BaseException as exc:  # noqa: BLE001
                return {"error": error_payload(exc)}
            try:
                text = encode(to_plain(result))
            except MemoryError:
                unavailable("memory")
            except BaseException:  # noqa: BLE001
                return {"error": {"kinds": ["TypeError", "Exception", "BaseException"],
                                  "message": "the answer cannot be converted to plain data"}}
        if len(text) > reply_cap:
            return {"error": {"kinds": ["TypeError", "Exception", "BaseException"],
                              "message": f"the answer is too large ({len(text)} bytes of JSON)"}}
        return {"ok": json.loads(text)}

    def lookup(name: str) -> Any:
        if name not in namespace:
            raise NameError(f"name {name!r} is not defined")
        return namespace[name]

    def call(name: str, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        return answer(lambda: lookup(name)(*args, **kwargs))

    while True:
        try:
            req = chan.recv(None, 1 << 26)
        except Exception:  # noqa: BLE001 - the trusted side closed: we are done
            os._exit(0)
        rid = req.get("id")
        kind = req.get("op")
        if kind == "has":
            reply: dict[str, Any] = {"ok": req["name"] in namespace}
        elif kind == "call":
            reply = call(req["name"], req["args"], req["kwargs"])
        elif kind == "call_many":
            reply = {"ok": [call(req["name"], a, k) for a, k in req["calls"]]}
            if len(encode(reply["ok"])) > reply_cap:
                reply = {"error": {"kinds": ["TypeError", "Exception", "BaseException"],
                                   "message": "the answers are too large"}}
        elif kind == "get":
            reply = answer(lambda: lookup(req["name"]))
        elif kind == "op":
            operation = operations.get(req["name"])
            if operation is None:
                reply = {"unknown_op": True}
            else:
                reply = answer(lambda: operation(namespace, **req["params"]))
        else:
            reply = {"error": {"kinds": ["ValueError"], "message": f"unknown request {kind!r}"}}
        reply["id"] = rid
        chan.send(reply)


# --------------------------------------------------------------------------- notebook


class _Recorder:
    """Collects the outputs of the cell being executed, in nbformat shape."""

    def __init__(self, cap: int, overflow: Any) -> None:
        self.outputs: list[dict[str, Any]] = []
        self.error = False
        self.cap = cap
        self.used = 0
        self.overflow = overflow
        self.clear_pending = False

    def start(self) -> None:
        self.outputs = []
        self.error = False
        self.clear_pending = False

    def _charge(self, n: int) -> None:
        self.used += n
        if self.used > self.cap:
            self.overflow()

    def _before_output(self) -> None:
        if self.clear_pending:
            self.outputs = []
            self.clear_pending = False

    def stream(self, name: str, text: str) -> None:
        if not text:
            return
        self._charge(len(text.encode("utf-8", "replace")))
        self._before_output()
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": name, "text": text})

    def rich(self, output_type: str, data: Any, metadata: Any, **extra: Any) -> None:
        clean_data: dict[str, Any] = {}
        for mime, value in dict(data or {}).items():
            try:
                text = json.dumps(value)
            except (TypeError, ValueError):
                continue
            self._charge(len(text))
            clean_data[str(mime)] = value
        try:
            clean_meta = json.loads(json.dumps(metadata or {}))
        except (TypeError, ValueError):
            clean_meta = {}
        self._before_output()
        self.outputs.append({"output_type": output_type, "data": clean_data, "metadata": clean_meta, **extra})

    def exception(self, ename: str, evalue: str, traceback: list[str]) -> None:
        self._charge(sum(len(line) for line in traceback) + len(evalue))
        self.error = True
        self._before_output()
        self.outputs.append({"output_type": "error", "ename": ename, "evalue": evalue, "traceback": traceback})


RECORDER: _Recorder | None = None


def make_shell() -> Any:
    """Create the IPython shell in the warm parent (before any student code exists)."""
    global SHELL
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets import Type
    from traitlets.config import Config

    class SandboxDisplayHook(DisplayHook):
        """execute_result outputs instead of printing ``Out[n]:`` (as ipykernel's)."""

        def start_displayhook(self) -> None:
            self._is_active = True
            self._data: dict[str, Any] = {}
            self._md: dict[str, Any] = {}

        def write_output_prompt(self) -> None:
            pass

        def write_format_data(self, format_dict: Any, md_dict: Any = None) -> None:
            self._data, self._md = format_dict, md_dict or {}

        def finish_displayhook(self) -> None:
            self._is_active = False
            if RECORDER is not None and self._data:
                RECORDER.rich("execute_result", self._data, self._md, execution_count=self.prompt_count)
            self._data, self._md = {}, {}

    class SandboxDisplayPublisher(DisplayPublisher):
        """display_data outputs (display(), inline matplotlib figures)."""

        def publish(self, data: Any, metadata: Any = None, source: Any = None, *,
                    transient: Any = None, update: bool = False, **kwargs: Any) -> None:
            if RECORDER is not None and not update:
                RECORDER.rich("display_data", data, metadata)

        def clear_output(self, wait: bool = False) -> None:
            if RECORDER is not None:
                if wait:
                    RECORDER.clear_pending = True
                else:
                    RECORDER.outputs = []

    class SandboxShell(InteractiveShell):
        displayhook_class = Type(SandboxDisplayHook)
        display_pub_class = Type(SandboxDisplayPublisher)

        def enable_gui(self, gui: Any = None) -> None:  # no event loop: figures go inline
            pass

        def _showtraceback(self, etype: Any, evalue: Any, stb: list[str]) -> None:
            if RECORDER is not None:
                RECORDER.exception(getattr(etype, "__name__", str(etype)), _safe_str(evalue), [str(s) for s in stb])

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    config.InteractiveShell.colors = "linux"
    SHELL = SandboxShell.instance(config=config)
    SHELL.enable_matplotlib("inline")
    return SHELL


def _fd_capture() -> list[tuple[str, int]]:
    """Point fds 1 and 2 at anonymous files so C-level output is kept too."""
    captures = []
    for fd, name in ((1, "stdout"), (2, "stderr")):
        try:
            tmp = os.open(os.environ.get("TMPDIR", "/tmp"), os.O_TMPFILE | os.O_RDWR, 0o600)
        except OSError:
            continue
        os.dup2(tmp, fd)
        os.close(tmp)
        captures.append((name, fd))
    return captures


def serve_notebook(chan: Channel, limits: Limits) -> None:
    """Execute the cells sent by the trusted side, reporting each cell's outputs."""
    global RECORDER

    def overflow() -> None:
        try:
            chan.send({"status": "output_limit"}, timeout=5)
        finally:
            os._exit(0)

    recorder = RECORDER = _Recorder(limits.notebook_bytes, overflow)
    stream_cap = limits.output_bytes
    stream_used = [0]

    def stream_sink(name: str, text: str) -> None:
        stream_used[0] += len(text)
        if stream_used[0] > stream_cap:
            overflow()
        recorder.stream(name, text)

    sys.stdout = _CappedText("stdout", stream_cap, stream_sink, overflow)
    sys.stderr = _CappedText("stderr", stream_cap, stream_sink, overflow)
    captures = _fd_capture()
    offsets = {fd: 0 for _, fd in captures}

    start = chan.recv(None, 1 << 30)
    for name, content in (start.get("files") or {}).items():
        with open(os.path.basename(name), "w", encoding="utf-8") as fh:
            fh.write(content)
    import platform

    chan.send({"hello": {
        "name": "python", "version": platform.python_version(), "mimetype": "text/x-python",
        "file_extension": ".py", "pygments_lexer": "ipython3", "nbconvert_exporter": "python",
        "codemirror_mode": {"name": "ipython", "version": 3},
    }})
    shell = SHELL
    for index, source in start["cells"]:
        recorder.start()
        result = shell.run_cell(source, store_history=True)
        for name, fd in captures:
            try:
                data = os.pread(fd, stream_cap + 1, offsets[fd])
            except OSError:
                continue
            if data:
                offsets[fd] += len(data)
                stream_sink(name, data.decode("utf-8", "replace"))
        error = recorder.error or not result.success
        chan.send({"cell": index, "execution_count": result.execution_count,
                   "outputs": recorder.outputs, "error": bool(error)})
        if isinstance(result.error_in_exec, MemoryError):
            chan.send({"status": "memory"})
            os._exit(0)
    chan.send({"done": True})
    os._exit(0)


# First uses that cost seconds (torch.use_deterministic_algorithms imports sympy and
# dynamo; the first log-scale plot loads fonts and mathtext): paid once in the warm parent.
WARM_UP = """
import torch
try:
    import lrlab
    lrlab.seed_everything(0)
except Exception:
    torch.use_deterministic_algorithms(True, warn_only=True)
_m = torch.nn.Linear(4, 2)
_o = torch.optim.SGD(_m.parameters(), lr=0.1, momentum=0.9)
_s = torch.optim.lr_scheduler.StepLR(_o, 1)
_l = torch.nn.functional.cross_entropy(_m(torch.randn(3, 4)), torch.tensor([0, 1, 0]))
_l.backward(); _o.step(); _s.step()
import matplotlib.pyplot as _plt
_fig, _ax = _plt.subplots()
_ax.plot([1, 2], [1, 10], label="a"); _ax.set_yscale("log"); _ax.set_xlabel("step"); _ax.legend(); _ax.set_title("t")
"""


def warm_up() -> None:
    """Exercise the shell once in the warm parent so children don't pay first-use costs
    (traceback formatting imports stack_data, figure rendering, the formatters)."""
    global RECORDER
    recorder = RECORDER = _Recorder(1 << 30, lambda: None)
    saved = sys.stdout, sys.stderr
    sys.stdout = _CappedText("stdout", 1 << 30, recorder.stream, None)
    sys.stderr = _CappedText("stderr", 1 << 30, recorder.stream, None)
    try:
        for source in ("1 + 1", "def _f():\n    raise ValueError('x')\n_f()", WARM_UP):
            SHELL.run_cell(source, store_history=False, silent=False)
    finally:
        sys.stdout, sys.stderr = saved
        RECORDER = None
        os.environ.pop("PYTHONHASHSEED", None)
        try:
            import matplotlib.pyplot as plt
            import torch

            torch.use_deterministic_algorithms(False)
            torch.set_num_threads(1)
            plt.close("all")
        except Exception:  # noqa: BLE001
            pass
        SHELL.reset(new_session=True)
        SHELL.execution_count = 1
        release_fonts()


def release_fonts() -> None:
    """Drop every matplotlib font object the warm parent holds, closing their files.

    An ``FT2Font`` keeps its font file open and reads glyphs from it lazily. A child
    forked from the warm parent renumbers its descriptors (the protocol socket becomes
    fd 3, everything else is closed), so a font object inherited from the parent would
    later read from, and when freed *close*, whatever the child has at that number:
    typically its protocol socket, once enough new mathtext (log-scale tick labels)
    evicts the warm-up entries from matplotlib's caches. Fonts are therefore only ever
    opened by the child itself; what the warm-up really pays for (imports, the mathtext
    grammar, the font list) stays warm.
    """
    import gc

    try:
        from matplotlib import _mathtext, font_manager, mathtext
    except Exception:  # noqa: BLE001 - no matplotlib: nothing to release
        return
    caches = [font_manager._get_font, mathtext.MathTextParser._parse_cached]
    for module in (_mathtext, mathtext):
        for cls in vars(module).values():
            if isinstance(cls, type):
                caches.extend(v for v in vars(cls).values() if hasattr(v, "cache_clear"))
    for cache in caches:
        try:
            cache.cache_clear()
        except Exception:  # noqa: BLE001
            pass
    gc.collect()
