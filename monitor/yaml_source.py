"""Load YAML and remember where each value came from, so errors can name the line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]


class YamlSyntaxError(ValueError):
    """The file is not valid YAML; the message starts with `file:line`."""


@dataclass(frozen=True)
class LocatedYaml:
    """Parsed YAML data plus the 1-based line of every key and item in it."""

    path: Path
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, loc: KeyPath) -> int:
        """The line of `loc`, or of its nearest ancestor that exists in the file."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return 1


def load_located(path: Path) -> LocatedYaml:
    """Parse `path`; a syntax error becomes YamlSyntaxError naming the file and line."""
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(f"{path.name}:{line} YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"{path.name}:1 YAML error: {exc}") from None
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return LocatedYaml(path=path, data=data, lines=lines)


def _walk(node: yaml.Node, loc: KeyPath, lines: dict[KeyPath, int]) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = loc + (str(key_node.value),)
            # Point at the key's line: for a block value that is where an operator looks.
            lines[key] = key_node.start_mark.line + 1
            _walk(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, loc + (index,), lines)
