"""Pydantic's validation errors, worded for operators and pointed at their line in the file.

`describe` turns each error into `config.yaml:42 topics[2].any: expected a list of terms`, with a
"did you mean" for a misspelt key.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from monitor.yaml_source import KeyPath, LocatedYaml

# Operators read these, not pydantic's wording: say what was expected, in their words.
_EXPECTED = {
    ("any",): "expected a list of terms",
    ("not",): "expected a list of terms",
    ("all",): "expected a list of term lists, e.g. [[strike, walkout], [Aktau, Zhanaozen]]",
    ("fields",): "expected a list: [title], [text] or [title, text]",
    ("admins",): "expected a list of numeric chat ids",
    ("sources",): "expected a list of sources",
    ("topics",): "expected a list of topics",
}
_TYPE_WORDS = {
    "list_type": "expected a list",
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "model_type": "expected a mapping of keys",
    "dict_type": "expected a mapping of keys",
    "missing": "required key is missing",
}


def describe(exc: ValidationError, located: LocatedYaml, root: type[BaseModel]) -> list[str]:
    """One line per error: `config.yaml:LINE key.path: what was expected`."""
    out = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        line = located.line_of(loc)
        out.append(f"{located.path.name}:{line} {dotted(loc)}: {_message(error, loc, root)}")
    return out


def _message(error: Any, loc: KeyPath, root: type[BaseModel]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_key(loc, root)
    if kind == "string_pattern_mismatch":
        return "expected an id of lowercase letters, digits, '-' and '_'"
    if kind == "too_short" and loc and loc[-1] in ("any", "all", "not") or (
        kind == "too_short" and len(loc) >= 2 and loc[-2] == "all"
    ):
        return "expected at least one term"
    if kind == "literal_error" and "fields" in loc:
        return "expected title or text"
    if kind == "literal_error" and "priority" in loc:
        return "expected urgent or normal"
    if kind == "too_short":
        return "expected a non-empty value"
    named = [key for key in loc if isinstance(key, str)]
    wording = _EXPECTED.get((named[-1],)) if named else None
    if wording and kind in ("list_type", "string_type"):
        return wording
    if kind in _TYPE_WORDS:
        return _TYPE_WORDS[kind]
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _unknown_key(loc: KeyPath, root: type[BaseModel]) -> str:
    key = str(loc[-1])
    parent = _model_at(loc[:-1], root)
    known = [f.alias or name for name, f in parent.model_fields.items()] if parent else []
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key{hint}; known keys: {', '.join(known)}" if known else "unknown key"


def _model_at(loc: KeyPath, root: type[BaseModel]) -> type[BaseModel] | None:
    model = root
    for key in loc:
        if isinstance(key, int):
            continue
        field = next((f for name, f in model.model_fields.items() if (f.alias or name) == key), None)
        if field is None:
            return None
        annotation = field.annotation
        inner = getattr(annotation, "__args__", (annotation,))[0]
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return None
        model = inner
    return model


def dotted(loc: KeyPath) -> str:
    """topics[2].any"""
    out = ""
    for key in loc:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "(top level)"
