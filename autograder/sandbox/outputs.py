"""Output cleaning: what a notebook child reports, rebuilt as valid nbformat outputs.

The child shares its process with the student's code, so every output it reports is data to
check, never to trust: :func:`clean_outputs` keeps only well-formed stream, execute_result,
display_data and error outputs of plain, finite data and drops anything else.
"""
from __future__ import annotations

import math
from typing import Any

from autograder.protocol import is_plain


def clean_outputs(outputs: Any, new_output: Any) -> list[Any]:
    """Rebuild outputs reported by the child as valid nbformat outputs (drop anything else)."""
    clean: list[Any] = []
    if type(outputs) is not list:
        return clean
    for out in outputs[:1000]:
        if type(out) is not dict:
            continue
        kind = out.get("output_type")
        try:
            if kind == "stream" and out.get("name") in ("stdout", "stderr") and type(out.get("text")) is str:
                clean.append(new_output("stream", name=out["name"], text=out["text"]))
            elif kind in ("execute_result", "display_data"):
                data = out.get("data")
                if type(data) is not dict:
                    continue
                good = {}
                for mime, value in data.items():
                    if type(mime) is not str or "/" not in mime:
                        continue
                    if mime.endswith("json") and is_plain(value) and finite(value):
                        good[mime] = value
                    elif type(value) is str:
                        good[mime] = value
                    elif type(value) is list and all(type(v) is str for v in value):
                        good[mime] = "".join(value)
                meta = out.get("metadata")
                meta = meta if type(meta) is dict and is_plain(meta) and finite(meta) else {}
                if kind == "execute_result":
                    count = out.get("execution_count")
                    clean.append(new_output("execute_result", data=good, metadata=meta,
                                            execution_count=count if type(count) is int else None))
                else:
                    clean.append(new_output("display_data", data=good, metadata=meta))
            elif kind == "error":
                tb = out.get("traceback")
                tb = [str(t) for t in tb] if type(tb) is list else []
                clean.append(new_output("error", ename=str(out.get("ename", ""))[:200],
                                        evalue=str(out.get("evalue", ""))[:10000], traceback=tb))
        except Exception:  # noqa: BLE001
            continue
    return clean


def finite(value: Any) -> bool:
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is list:
        return all(finite(v) for v in value)
    if type(value) is dict:
        return all(finite(v) for v in value.values())
    return True
