"""What the spec's JSON schema refuses, said the way config_rules.py says it: the field as the user wrote it
(`page_size`, `credentials.client_secret`), the value (never a secret's) and what is allowed.

jsonschema's own text (`6000 is greater than the maximum of 5000`, `'oauth1_app_key' was expected`) names neither the
field nor the fix, and for a credentials block it names the wrong branch. Everything said here is read from the spec
the manifest declares (ranges, lengths, choices, titles, examples, `pattern_descriptor`), so the Airbyte UI and these
messages cannot disagree. A `oneOf` (credentials) is judged by the branch its `auth_type` picks.
"""

import json
from typing import Any, Iterable, Mapping, Optional, Sequence

from jsonschema import Draft7Validator, ValidationError
from jsonschema.validators import extend

# A whole number, as the user means it: not 5.0 (which JSON Schema counts as an integer) and not true.
_WholeNumbers = extend(
    Draft7Validator,
    type_checker=Draft7Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)
    ),
)

_JSON_TYPES = {
    bool: "true or false",
    int: "a number",
    float: "a number",
    str: "text",
    list: "a list",
    dict: "an object",
    type(None): "null",
}


def spec_problem(config: Mapping[str, Any], spec: Mapping[str, Any]) -> Optional[str]:
    """The message for the first setting (in the spec's order) the spec refuses, or None when it refuses none.

    An optional setting given as null is left out, as FillDefaults and the rules take it: not set.
    """
    required = spec.get("required") or []
    given = {name: value for name, value in config.items() if value is not None or name in required}
    errors = list(_WholeNumbers(spec).iter_errors(given))
    if not errors:
        return None
    return _message(min(errors, key=lambda error: _position(error, spec)))


def _position(error: ValidationError, spec: Mapping[str, Any]) -> tuple[int, int]:
    """Where the error's setting stands in the spec's `order`; a wrong type before anything else about a value."""
    path = list(error.absolute_path)
    name = path[0] if path else _missing(error)
    order = (spec.get("properties") or {}).get(name, {}).get("order", 1000)
    return order, 0 if error.validator == "type" else 1


def _missing(error: ValidationError) -> str:
    """The first required property a `required` error is about."""
    present = error.instance if isinstance(error.instance, Mapping) else {}
    return next((name for name in error.validator_value if name not in present), "")


def _message(error: ValidationError, branch: Optional[Mapping[str, Any]] = None) -> str:
    path = [str(part) for part in error.absolute_path]
    node: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "required":
        name = _missing(error)
        return _is_missing(".".join([*path, name]), (node.get("properties") or {}).get(name, {}), branch)
    field = ".".join(path)
    if error.validator == "oneOf":
        return _one_of(field, error)
    value = error.instance
    if value is None or (error.validator == "pattern" and value == ""):
        return _is_missing(field, node, branch)
    shown = _shown(value, node)
    if error.validator in ("type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{field} must be {_kind(node)}, got {shown}."
    if error.validator in ("minLength", "maxLength"):
        return f"{field} must be {_length(node)}, got {shown}."
    if error.validator == "enum":
        return f"{field} must be {_choices(node)}, got {shown}."
    if error.validator in ("pattern", "format") and node.get("format") == "date-time":
        return f"{field} {shown} is not a date-time: use RFC 3339, for example {_example(node)}."
    if error.validator == "pattern" and node.get("pattern_descriptor"):
        return f"{field} {shown} is not valid: use {node['pattern_descriptor']}, for example {_example(node)}."
    return f"{field} {shown} is not valid: {str(node.get('description') or node.get('title') or field).rstrip('.')}."


def _one_of(field: str, error: ValidationError) -> str:
    """A block of one of several types (credentials): judged by the branch its type field picks."""
    branches: Sequence[Mapping[str, Any]] = error.validator_value
    key = _discriminator(branches)
    chosen = error.instance.get(key) if isinstance(error.instance, Mapping) else None
    for index, branch in enumerate(branches):
        if key and branch["properties"][key].get("const") == chosen:
            own = [sub for sub in error.context or [] if sub.relative_schema_path[0] == index]
            if own:
                return _message(min(own, key=lambda sub: _order_in(sub, branch)), branch)
    options = ", or ".join(f"'{b['properties'][key]['const']}' for {b.get('title')}" for b in branches)
    if not isinstance(error.instance, Mapping):
        return f"{field} must be an object, got {_shown(error.instance, {})}: choose {_titles(branches)}."
    if chosen is None:
        return f"{field}.{key} is missing: use {options}."
    return f"{field}.{key} {chosen!r} is not supported: use {options}."


def _discriminator(branches: Iterable[Mapping[str, Any]]) -> str:
    """The property every branch fixes with a `const` (auth_type)."""
    names = None
    for branch in branches:
        fixed = {name for name, node in (branch.get("properties") or {}).items() if "const" in node}
        names = fixed if names is None else names & fixed
    return sorted(names)[0] if names else ""


def _order_in(error: ValidationError, branch: Mapping[str, Any]) -> int:
    path = list(error.relative_path)
    name = path[0] if path else _missing(error)
    return (branch.get("properties") or {}).get(name, {}).get("order", 1000)


def _is_missing(field: str, node: Mapping[str, Any], branch: Optional[Mapping[str, Any]]) -> str:
    title = node.get("title") or field
    if branch is not None:
        return f"{field} is missing: the {branch.get('title')} option needs its {title}."
    if node.get("oneOf"):
        return f"{field} is missing: choose {_titles(node['oneOf'])}, and enter its fields."
    example = f", for example {_example(node)}" if node.get("examples") else ""
    return f"{field} is missing: enter the {title}{example}."


def _kind(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    if kind == "integer":
        low, high = node.get("minimum"), node.get("maximum")
        if low is not None and high is not None:
            return f"a whole number from {low} to {high}"
        if low is not None:
            return f"a whole number of at least {low}"
        if high is not None:
            return f"a whole number of at most {high}"
        return "a whole number"
    if kind == "string":
        if node.get("format") == "date-time":
            return f"a date-time like {_example(node)}"
        if "enum" in node:
            return _choices(node)
        return "text"
    if kind == "object" and node.get("oneOf"):
        return f"an object: {_titles(node['oneOf'])}"
    return {"object": "an object", "array": "a list", "boolean": "true or false", "number": "a number"}.get(
        str(kind), str(kind)
    )


def _length(node: Mapping[str, Any]) -> str:
    low, high = node.get("minLength"), node.get("maxLength")
    if low is not None and high is not None:
        return f"{low} to {high} characters"
    return f"at least {low} characters" if low is not None else f"at most {high} characters"


def _choices(node: Mapping[str, Any]) -> str:
    default = node.get("default")
    shown = [json.dumps(choice) + (" (the default)" if choice == default else "") for choice in node["enum"]]
    return ", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else shown[0]


def _titles(branches: Iterable[Mapping[str, Any]]) -> str:
    return " or ".join(str(branch.get("title")) for branch in branches)


def _example(node: Mapping[str, Any]) -> str:
    examples = node.get("examples") or []
    return str(examples[0]) if examples else ""


def _shown(value: Any, node: Mapping[str, Any]) -> str:
    """The value as the user wrote it; a secret only as its JSON type."""
    if node.get("airbyte_secret"):
        return _JSON_TYPES.get(type(value), "a value")
    return repr(value)
