"""Reading YAML as plain data: no tags, no aliases that grow, bounded size, same messages.

PyYAML's C parser reads where it is installed; every node it gives goes through the same
checks as the Python parser's, and text it refuses is read again by the Python parser,
whose messages (and refusals) are the ones the tool has always given.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from auditor.documents.errors import InputError, quoted
from auditor.documents.plain_data import (
    INTEGER_DIGITS,
    MAX_DOCUMENT_BYTES,
    MAX_NODES,
    JsonPath,
    Oversized,
    cut,
)
from auditor.documents.yaml_errors import syntax_problem

if TYPE_CHECKING:  # yaml is imported where needed: it is slow to import
    import yaml


@cache
def plain_loader(fast: bool = True) -> type[yaml.SafeLoader]:
    """PyYAML's loader, keeping dates as text (the schemas check their format).

    `fast`: its C parser (libyaml) where installed, which reads rule files many times
    faster. Only the parser differs; the nodes it gives go through the same checks
    (_construct). Text it refuses is read again by the Python parser, whose messages
    (and refusals) are the ones the tool has always given.
    """
    import yaml

    base: type[yaml.SafeLoader] = (getattr(yaml, "CSafeLoader", yaml.SafeLoader) if fast
                                   else yaml.SafeLoader)
    resolvers = {
        first: [(tag, regexp) for tag, regexp in found if tag != "tag:yaml.org,2002:timestamp"]
        for first, found in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return type("PlainLoader", (base,), {"yaml_implicit_resolvers": resolvers})


def compose(text: str) -> yaml.Node | None:
    """The text's YAML nodes, which know their lines; None if it is not YAML at all."""
    import yaml

    for fast in (True, False):  # the Python parser reads a few escapes the C one refuses
        try:
            return yaml.compose(text, Loader=plain_loader(fast))
        except yaml.YAMLError:
            continue
    return None


def record_lines(node: yaml.Node, path: JsonPath, lines: dict[JsonPath, int]) -> None:
    import yaml  # here and below rather than at the top: `auditor --help` reads no YAML

    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            record_lines(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            record_lines(item, (*path, index), lines)


class YamlSyntaxError(InputError):
    """Text that is not YAML at all (as opposed to YAML holding what is refused)."""


def yaml_data(text: str, file: str, max_chars: int = MAX_DOCUMENT_BYTES) -> Any:
    """The text's plain data. `max_chars`: the most characters its keys and text may hold
    with every alias expanded (the size of the largest file of its kind: aliases must not
    make a document larger than a file could be without them)."""
    import yaml

    try:
        return _construct_text(text, file, max_chars, fast=True)
    except yaml.YAMLError:
        pass  # not YAML to the C parser: the Python parser says why, in its own words
    try:
        return _construct_text(text, file, max_chars, fast=False)
    except yaml.reader.ReaderError as exc:
        raise YamlSyntaxError(
            f"this is not valid YAML: it holds a character YAML does not allow "
            f"(#x{exc.character:04x}).", file=file,
            line=text.count("\n", 0, exc.position) + 1) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlSyntaxError(
            syntax_problem(exc.problem, mark.column + 1 if mark else None),
            file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"this is not valid YAML: {exc}.", file=file) from None


def _construct_text(text: str, file: str, max_chars: int, *, fast: bool) -> Any:
    # The Python reader refuses a character YAML does not allow (a NUL) on creation.
    loader = plain_loader(fast)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, file, max_chars)
        return _construct(loader, node, file)
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node, file: str, max_chars: int) -> None:
    """Refuse a document whose aliases expand it beyond MAX_NODES values or `max_chars`
    characters of keys and text: a small file of nested aliases ("billion laughs"), or
    of one long text referred to many times, would otherwise grow without bound, and
    every report with it. Each node is sized once (an alias is the node it names), so
    the time this takes follows the file's length, not what it would expand to."""
    values, chars = _expanded_size(root, {})
    if values > MAX_NODES:
        raise InputError(f"this is not a settings or rule document: it expands to more than "
                         f"{MAX_NODES:,} values (aliases referring to aliases?).", file=file)
    if chars > max_chars:
        raise InputError(f"its aliases expand this document to {chars:,} characters of keys "
                         f"and text, over the limit of {max_chars:,} (as much as a file of "
                         "its kind may hold); write the repeated values out, or shorten "
                         "them.", file=file)


def _expanded_size(node: yaml.Node, sizes: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """The values (keys aside) and the characters (keys included) of the node expanded."""
    import yaml

    known = sizes.get(id(node))
    if known is not None:
        return known
    if isinstance(node, yaml.ScalarNode):
        size = (1, len(node.value))
    else:
        pairs = (node.value if isinstance(node, yaml.MappingNode)
                 else [(None, item) for item in node.value])
        values, chars = 1, 0
        for key, item in pairs:
            item_values, item_chars = _expanded_size(item, sizes)
            values += item_values
            chars += item_chars + (_expanded_size(key, sizes)[1] if key else 0)
        size = (values, chars)
    sizes[id(node)] = size
    return size


_YAML_TAG = "tag:yaml.org,2002:"
_STR, _INT = _YAML_TAG + "str", _YAML_TAG + "int"
_PLAIN_SCALARS = frozenset(_YAML_TAG + name for name in ("str", "int", "float", "bool", "null"))


def _construct(loader: yaml.SafeLoader, node: yaml.Node, file: str) -> Any:
    """Build plain data from a YAML node, refusing tags, duplicate and non-text keys.
    Aliases are expanded: _check_expansion has seen that they may be."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        _require_tag(node, _YAML_TAG + "map", file)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise InputError("keys must be text, found a list or mapping.",
                                 file=file, line=line)
            key = _scalar(loader, key_node, file)
            if not isinstance(key, str):
                raise InputError(f"keys must be text, found {key!r}.", file=file, line=line)
            if key in result:
                raise InputError(
                    f"the key {quoted(key)} appears twice in the same mapping; keep one.",
                    file=file,
                    line=line,
                )
            result[key] = _construct(loader, value_node, file)
        return result
    if isinstance(node, yaml.SequenceNode):
        _require_tag(node, _YAML_TAG + "seq", file)
        return [_construct(loader, item, file) for item in node.value]
    assert isinstance(node, yaml.ScalarNode)  # the only other kind of node
    return _scalar(loader, node, file)


def _scalar(loader: yaml.SafeLoader, node: yaml.ScalarNode, file: str) -> Any:
    # A tag may only repeat what the value is anyway (!!int 5), or say it is text (!!str 5).
    untagged: str = _STR
    if not node.style:  # a plain scalar (style None, or "" from the C parser): tag from its text
        untagged = loader.resolve(  # type: ignore[no-untyped-call]  # untyped in the stubs
            type(node), node.value, (True, False))
    # Implicit tags beyond plain data (the merge key <<, the value key =) are refused too.
    _require_tag(node, untagged if untagged in _PLAIN_SCALARS else _STR, file, also=_STR)
    if node.tag == _INT and len(node.value) > INTEGER_DIGITS:
        return Oversized(node.value)  # int() would refuse it with a traceback
    return loader.construct_object(node)


def _require_tag(node: yaml.Node, expected: str, file: str, also: str = "") -> None:
    if node.tag in (expected, also):
        return
    tag = node.tag
    name = "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag
    merge = " (the merge key <<)" if tag == _YAML_TAG + "merge" else ""
    raise InputError(
        f"the YAML tag {quoted(cut(name))}{merge} is not allowed: only plain data is read "
        "(text, numbers, true, false, null, lists and mappings), without tags.",
        file=file, line=node.start_mark.line + 1)
