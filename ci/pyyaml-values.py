#!/usr/bin/env python3
"""Writes (or with --check, verifies) testdata/yaml-compat/<name>.expected.json: the value
PyYAML reads from each <name>.yaml there, with CloudFormation's short-form tags turned into
their long forms exactly as tollgate's loader does (crates/tollgate-template/src/yaml.rs):
`!GetAtt A.B` -> {"Fn::GetAtt": ["A", "B"]}, `!Ref x` -> {"Ref": "x"}, `!Sub ...` ->
{"Fn::Sub": ...}; a tagged scalar stays a string.

The value is libyaml's (`yaml.CSafeLoader`, the loader PyYAML uses when it is built with
libyaml, as pip installs it); the pure-Python loader is run too and a difference is reported
as a note (it rejects tabs that libyaml accepts inside flow collections).

PyYAML types plain scalars by YAML 1.1 (`yes`, `on`, `0x1F`, `1_000`, `1:30`), tollgate by the
YAML 1.2 core schema: a fixture whose plain scalars would differ is an error, so pick values
that read the same under both.

    python3 -m venv /tmp/pyy && /tmp/pyy/bin/pip install pyyaml
    /tmp/pyy/bin/python ci/pyyaml-values.py            # regenerate
    /tmp/pyy/bin/python ci/pyyaml-values.py --check    # verify (exit 1 on a difference)

The Rust test (crates/tollgate-template/tests/yaml_compat.rs) compares tollgate's value with
these files and needs no Python.
"""

import json
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "testdata", "yaml-compat")

# The short forms of yaml.rs's TAGS table: YAML suffix -> long-form key.
LONG = {
    "Ref": "Ref",
    "Condition": "Condition",
    "Sub": "Fn::Sub",
    "GetAtt": "Fn::GetAtt",
    "Join": "Fn::Join",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "If": "Fn::If",
    "Equals": "Fn::Equals",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Not": "Fn::Not",
    "FindInMap": "Fn::FindInMap",
    "Base64": "Fn::Base64",
    "Cidr": "Fn::Cidr",
    "ImportValue": "Fn::ImportValue",
    "GetAZs": "Fn::GetAZs",
    "Transform": "Fn::Transform",
    "ToJsonString": "Fn::ToJsonString",
    "Length": "Fn::Length",
    "Contains": "Fn::Contains",
    "EachMemberEquals": "Fn::EachMemberEquals",
    "EachMemberIn": "Fn::EachMemberIn",
    "RefAll": "Fn::RefAll",
    "ValueOf": "Fn::ValueOf",
    "ValueOfAll": "Fn::ValueOfAll",
}


def short_form(loader, suffix, node):
    if suffix not in LONG:
        raise yaml.constructor.ConstructorError(
            None, None, "unknown tag !%s" % suffix, node.start_mark)
    long = LONG[suffix]
    if isinstance(node, yaml.ScalarNode):
        text = loader.construct_scalar(node)
        if long == "Fn::GetAtt":
            resource, dot, attribute = text.partition(".")
            if not (resource and dot and attribute):
                raise yaml.constructor.ConstructorError(
                    None, None, '!GetAtt "%s" has no attribute' % text, node.start_mark)
            return {long: [resource, attribute]}
        return {long: text}
    if isinstance(node, yaml.SequenceNode):
        return {long: loader.construct_sequence(node, deep=True)}
    return {long: loader.construct_mapping(node, deep=True)}


def loader_class(base):
    class Loader(base):
        pass

    Loader.add_multi_constructor("!", short_form)
    return Loader


LIBYAML = loader_class(getattr(yaml, "CSafeLoader", yaml.SafeLoader))
PURE = loader_class(yaml.SafeLoader)

CORE_INT = re.compile(r"^[-+]?[0-9]+$")
CORE_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


def core_schema(text):
    """What tollgate makes of a plain scalar (yaml.rs plain_value), as a Python value."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    digits = text.lstrip("+-")
    if CORE_INT.match(text) and not (len(digits) > 1 and digits.startswith("0")):
        return int(text)
    if CORE_FLOAT.match(text) and any(c in text for c in ".eE"):
        return float(text)
    return text


def schema_differences(text, path):
    """Plain scalars PyYAML (YAML 1.1) and tollgate (1.2 core) would read differently."""
    out = []
    loader = LIBYAML(text)
    try:
        node = loader.get_single_node()
        stack = [node] if node is not None else []
        while stack:
            n = stack.pop()
            if isinstance(n, yaml.SequenceNode):
                stack.extend(n.value)
            elif isinstance(n, yaml.MappingNode):
                stack.extend(x for pair in n.value for x in pair)
            elif not n.style and not n.tag.startswith("!"):
                # A plain scalar (style None, or "" from libyaml) without a CloudFormation tag.
                tag = loader.resolve(yaml.ScalarNode, n.value, (True, False))
                py = loader.construct_object(yaml.ScalarNode(tag, n.value), deep=True)
                core = core_schema(n.value)
                if type(py) is not type(core) or py != core:
                    out.append("%s: line %d: plain scalar %r is %r in YAML 1.1 (PyYAML) but %r "
                               "in YAML 1.2 (tollgate)" % (path, n.start_mark.line + 1, n.value,
                                                          py, core))
    finally:
        loader.dispose()
    return out


def expected(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    value = yaml.load(text, Loader=LIBYAML)
    notes = []
    try:
        if yaml.load(text, Loader=PURE) != value:
            notes.append("%s: the pure-Python loader reads a different value" % path)
    except yaml.YAMLError as e:
        notes.append("%s: the pure-Python loader rejects it: %s" % (
            path, str(e).splitlines()[0]))
    errors = schema_differences(text, path)
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n", notes, errors


def main():
    check = "--check" in sys.argv[1:]
    names = sorted(n for n in os.listdir(FIXTURES) if n.endswith(".yaml"))
    if not names:
        print("no fixtures in %s" % FIXTURES)
        return 1
    failed = 0
    for name in names:
        path = os.path.join(FIXTURES, name)
        out = path[: -len(".yaml")] + ".expected.json"
        text, notes, errors = expected(path)
        for n in notes:  # paths relative to the current directory
            print("note: " + os.path.relpath(n))
        for e in errors:
            print("error: " + e)
            failed += 1
        if check:
            try:
                with open(out, encoding="utf-8") as f:
                    current = f.read()
            except FileNotFoundError:
                current = None
            if current != text:
                print("error: %s does not match what PyYAML reads from %s" % (out, name))
                failed += 1
        elif not errors:
            with open(out, "w", encoding="utf-8") as f:
                f.write(text)
    print("%d fixtures, %d problems (PyYAML %s, libyaml: %s)" % (
        len(names), failed, yaml.__version__, yaml.__with_libyaml__))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
