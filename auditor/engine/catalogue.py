"""Loading the rule catalogue: the shipped rules plus any from --rules-dir."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from auditor.documents.errors import InputError
from auditor.documents.load import (
    Document,
    format_path,
    parse_document,
    quoted,
    read_text_file,
)
from auditor.documents.plain_data import MAX_DOCUMENT_BYTES, JsonPath, plain_data_problem
from auditor.documents.validation import shown, validate_document
from auditor.engine.checks import CHECKS
from auditor.engine.messages import template_problem
from auditor.engine.rule import SEVERITIES, Read, Rule, with_params
from auditor.engine.sections import SECTION_BY_KEY, SECTION_ORDER
from auditor.safety.addresses import https_url
from auditor.safety.run_cache import checked_before, remember_checked

__all__ = ["SEVERITIES", "Rule", "load_rules", "resolve_params", "with_params"]


def _param_names(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        if set(schema) == {"$param"}:
            name = schema["$param"]
            # A name that is not text names no parameter; shown as written in the error.
            return {name if isinstance(name, str) else shown(name)}
        return set().union(*(_param_names(value) for value in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_param_names(item) for item in schema))
    return set()


def _read(spec: str | dict[str, Any]) -> Read:
    if isinstance(spec, str):
        return Read(spec)
    return Read(
        spec["path"],
        optional=spec.get("optional", False),
        has_default="default" in spec,
        default=spec.get("default"),
    )


def rule_from_document(doc: Document) -> Rule:
    """The rule a rule file holds, once it has passed every check."""
    _check_rule(doc)
    return _rule(doc.data, doc.file)


def _rule(data: dict[str, Any], origin: str) -> Rule:
    return Rule(
        id=data["id"],
        title=data["title"],
        section=data["section"],
        severity=data["severity"],
        basis=data["basis"],
        rationale=data["rationale"].strip(),
        remediation=data["remediation"].strip(),
        reads={name: _read(spec) for name, spec in data["reads"].items()},
        messages=data["messages"],
        parameters=data.get("parameters", {}),
        where=data.get("where"),
        references=tuple(data.get("references", ())),
        expect=data.get("expect"),
        not_applicable_when=data.get("not_applicable_when"),
        check=data.get("check"),
        origin=origin,
        order=data.get("order"),
    )


def _check_rule(doc: Document) -> None:
    if not isinstance(doc.data, dict):
        raise doc.error("expected a rule: a mapping with id, title, section, severity, ...")
    validate_document(doc, "rule")
    data = doc.data
    if data["section"] not in SECTION_BY_KEY:
        raise doc.error(
            f"unknown section {quoted(data['section'])}; expected one of: "
            f"{', '.join(SECTION_ORDER)}.",
            ("section",),
        )
    prefix = data["id"].split(".")[0]
    if prefix != data["section"]:
        # Reports, waivers and `auditor rules` group by the id's prefix as by the section.
        raise doc.error(
            f"the id {quoted(data['id'])} starts with '{prefix}.', but the rule is in section "
            f"'{data['section']}'; name it '{data['section']}.{data['id'].split('.', 1)[1]}' "
            "or move it to that section.",
            ("id",),
        )
    if "check" in data and data["check"] not in CHECKS:
        raise doc.error(
            f"no check named '{data['check']}'; the checks are: {', '.join(sorted(CHECKS))}.",
            ("check",),
        )
    for name, spec in data.get("parameters", {}).items():
        _check_schema(doc, spec["schema"], ("parameters", name, "schema"))
        problem = _param_problem(spec["schema"], spec["default"])
        if problem:
            raise doc.error(
                f"the default does not satisfy the parameter's schema: {problem}.",
                ("parameters", name, "default"),
            )
    defaults = {name: spec["default"] for name, spec in data.get("parameters", {}).items()}
    for key in ("expect", "not_applicable_when"):
        if key in data:
            unknown = sorted(_param_names(data[key]) - set(defaults))
            if unknown:
                raise doc.error(
                    f"{{$param: {unknown[0]}}} names no parameter of this rule; its "
                    f"parameters: {', '.join(defaults) or 'none'}.",
                    (key,),
                )
            # Checked with the defaults in place: {$param: NAME} may stand where only a
            # number is allowed (maximum: {$param: cap}).
            _check_schema(doc, with_params(data[key], defaults), (key,))
    _check_messages(doc, data)
    _check_references(doc, data.get("references", []))


def _param_problem(schema: dict[str, Any], value: Any) -> str | None:
    import jsonschema  # here, not at the top: slow to import, and `auditor --help` needs none

    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(value))
    return None if error is None else str(error.message)


def _override_problem(schema: dict[str, Any], value: Any) -> str | None:
    """Why value cannot stand for a parameter; the schema alone would let NaN through,
    since NaN compares false with every bound."""
    found = plain_data_problem(value)
    if found is None:
        return _param_problem(schema, value)
    path, problem = found
    return f"at {format_path(path)}, {problem}" if path else problem


def _check_schema(doc: Document, schema: dict[str, Any], at: JsonPath) -> None:
    import jsonschema

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise doc.error(f"not a valid JSON Schema: {exc.message}.", at) from None


def _check_messages(doc: Document, data: dict[str, Any]) -> None:
    needed = ["pass", "fail"] if "expect" in data else []
    if "not_applicable_when" in data:
        needed.append("not_applicable")
    for status in needed:
        if status not in data["messages"]:
            raise doc.error(f"a message for '{status}' is needed.", ("messages",))
    for status, text in data["messages"].items():
        problem = template_problem(text)
        if problem:
            raise doc.error(f"the message is not a valid template: {problem}.",
                            ("messages", status))


def _check_references(doc: Document, references: list[dict[str, str]]) -> None:
    # Reports make a reference a link; only a plain https:// address may become one.
    for index, reference in enumerate(references):
        if "url" in reference and https_url(reference["url"]) is None:
            raise doc.error(
                "a reference's url must be an https:// address without spaces, quotes or "
                f"angle brackets; found {quoted(reference['url'])}.",
                ("references", index, "url"),
            )


def _rule_files(folder: Traversable) -> Iterable[Traversable]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            yield from _rule_files(entry)
        elif entry.name.endswith((".yaml", ".yml")):
            yield entry


def load_rules(extra_dirs: Iterable[Path] = ()) -> list[Rule]:
    """The shipped rules, then the user's; an id may appear only once."""
    for folder in extra_dirs:
        if not folder.is_dir():
            raise InputError("--rules-dir must name a folder of rule files.", file=str(folder))
    read = [*_shipped_rules()]
    for folder in extra_dirs:
        read += _checked_files(folder, str(folder))
    rules: dict[str, Rule] = {}
    for name, data in read:
        rule = _rule(data, name)
        if rule.id in rules:
            raise InputError(
                f"the rule id '{rule.id}' is already defined in {rules[rule.id].origin}; "
                "rule ids must be unique.",
                file=name,
                path="$.id",
            )
        rules[rule.id] = rule
    return sorted(rules.values(), key=_position)


def _shipped_rules() -> list[tuple[str, Any]]:
    """The package's own rule files, each as its name and data. They change only with
    the package, whose stamp names the cache folder: one entry there holds them all."""
    kept = checked_before("rules", b"", "shipped")
    if isinstance(kept, list) and all(
            isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)
            and isinstance(pair[1], dict) for pair in kept):
        return [(name, data) for name, data in kept]
    read = _checked_files(resources.files("auditor.rules"), "")
    remember_checked("rules", b"", "shipped", read)
    return read


def _checked_files(root: Traversable, label: str) -> list[tuple[str, Any]]:
    """Each rule file under root, as its name and data, once it has passed every check."""
    read = []
    for entry in _rule_files(root):
        name = str(entry) if label else f"rules/{entry.name}"
        # The user's files are read within bounds (a named pipe, a huge file); the
        # shipped ones come from the package, perhaps from inside a zip.
        text = (read_text_file(Path(name), "rule file", MAX_DOCUMENT_BYTES) if label
                else entry.read_text(encoding="utf-8"))
        # A file that passed every check before, byte for byte and under the same name,
        # is neither parsed nor checked again (about 3 ms a rule; see run_cache.py).
        content = text.encode("utf-8")
        data = checked_before("rule", content, name)
        if data is None:
            doc = parse_document(text, name)
            rule = rule_from_document(doc)
            _check_file_name(doc, rule, entry.name)
            _check_renders(doc, rule)
            remember_checked("rule", content, name, doc.data)
            data = doc.data
        read.append((name, data))
    return read


def _check_file_name(doc: Document, rule: Rule, file_name: str) -> None:
    # One rule, one file named after it: `ls rules/` is the catalogue, and a waiver's or
    # report's rule id leads straight to its file.
    stem = file_name.rsplit(".", 1)[0]
    if stem != rule.id:
        raise doc.error(
            f"the file is named {quoted(file_name)} but holds the rule {quoted(rule.id)}; "
            f"rename it to '{rule.id}.yaml' (a rule file is named after the rule's id).",
            ("id",),
        )


def _check_renders(doc: Document, rule: Rule) -> None:
    # Here, not at the top: a rule already checked (run_cache.py) is never rendered.
    from auditor.engine.rule_examples import example_snapshots, message_problem

    problem = message_problem(rule, example_snapshots())
    if problem:
        status, why = problem
        raise doc.error(f"the message does not render {' '.join(why.split())}.",
                        ("messages", status))


def _position(rule: Rule) -> tuple[int, int, int, str]:
    # The guide's order of sections and of steps within one; rules that give no step
    # come after those that do, the most severe first.
    step = rule.order if rule.order is not None else 1_000_000
    return (SECTION_ORDER[rule.section], step, SEVERITIES.index(rule.severity), rule.id)


Placed = Mapping[str, Callable[[str], InputError]]  # an override -> its error where written


def resolve_params(rules: list[Rule], overrides: Mapping[str, Any],
                   placed: Placed | None = None) -> dict[str, dict[str, Any]]:
    """Each rule's parameters: its defaults with the overrides (RULE_ID.NAME -> value) applied.
    An override that does not fit is reported where `placed` says it was written (a
    config file's line), else as the --param flag that gave it."""
    placed = placed or {}
    by_id = {rule.id: rule for rule in rules}
    params = {rule.id: rule.default_params() for rule in rules}
    for key, value in overrides.items():
        refuse = placed.get(key) or as_flag(f"--param {key}")
        rule_id, _, name = key.rpartition(".")
        rule = by_id.get(rule_id)
        if rule is None:
            raise refuse(f"there is no rule '{rule_id}' (see `auditor rules`).")
        if name not in rule.parameters:
            known = ", ".join(rule.parameters) or "none"
            raise refuse(f"rule '{rule_id}' has no parameter '{name}' (its parameters: {known}).")
        problem = _override_problem(rule.parameters[name]["schema"], value)
        if problem:
            refuse = placed.get(key) or as_flag(f"--param {key}={shown(value)}")
            raise refuse(f"{problem.rstrip('.')}; expected {rule.parameters[name]['description']}.")
        params[rule_id][name] = value
    return params


def as_flag(flag: str) -> Callable[[str], InputError]:
    """An error about the flag as typed: `--param KEY: problem`."""
    return lambda problem: InputError(f"{flag}: {problem}")

