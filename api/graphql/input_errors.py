"""A refused scalar input becomes ``INVALID_INPUT`` naming the argument it was given for.

graphql-core reports a literal the scalar refused without saying which
argument held it, and a refused variable by the variable's name only. This
extension finds, in the document, the argument path of each such value (a
literal: the node itself; a variable: every place it is used, plus the path
inside the variable's value) and answers::

    {"message": "checkResults(updatedSince): not a valid DateTime: … has no UTC offset; …",
     "extensions": {"code": "INVALID_INPUT", "field": ["updatedSince"], "argument": "checkResults.updatedSince"}}

``field`` is the input path as in a payload's ``UserError.field``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    ListValueNode,
    Node,
    ObjectValueNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from api.graphql.scalars import InvalidScalarInput
from core.text import t

# "Variable '$i' has invalid value at .applicant.birthDate: …" (graphql-core's wording)
_VARIABLE_PATH = re.compile(r"^Variable '\$\w+' has invalid value(?: at ((?:\.\w+|\[\d+\])+))?: ")
_PATH_PART = re.compile(r"\.(\w+)|\[(\d+)\]")


def _values(value: ValueNode, path: list[str]) -> Iterator[tuple[ValueNode, list[str]]]:
    yield value, path
    if isinstance(value, ObjectValueNode):
        for f in value.fields:
            yield from _values(f.value, [*path, f.name.value])
    elif isinstance(value, ListValueNode):
        for i, item in enumerate(value.values):
            yield from _values(item, [*path, str(i)])


def argument_values(document: DocumentNode) -> Iterator[tuple[str, ValueNode, list[str]]]:
    """Every value node under a field argument: (field name, node, input path)."""
    stack: list[tuple[Node, str]] = [(d, "") for d in document.definitions]
    while stack:
        node, field_name = stack.pop()
        if isinstance(node, FieldNode):
            field_name = node.name.value
        if isinstance(node, ArgumentNode):
            for value, path in _values(node.value, [node.name.value]):
                yield field_name, value, path
            continue
        for key in node.keys:
            child = getattr(node, key, None)
            children = child if isinstance(child, (list, tuple)) else [child]
            for c in children:
                if isinstance(c, Node) and not isinstance(c, VariableDefinitionNode):
                    stack.append((c, field_name))


def _root_cause(error: GraphQLError) -> InvalidScalarInput | None:
    seen: BaseException | None = error
    for _ in range(5):
        if isinstance(seen, InvalidScalarInput):
            return seen
        seen = getattr(seen, "original_error", None)
        if seen is None:
            return None
    return None


def _locate(error: GraphQLError, document: DocumentNode) -> list[tuple[str, list[str]]]:
    """(field name, input path) of each argument the refused value was given for."""
    node = (error.nodes or [None])[0]
    if isinstance(node, VariableDefinitionNode):
        name = node.variable.name.value
        match = _VARIABLE_PATH.match(error.message)
        inner = [a or b for a, b in _PATH_PART.findall(match.group(1) or "")] if match else []
        return [(f, [*path, *inner]) for f, value, path in argument_values(document)
                if isinstance(value, VariableNode) and value.name.value == name]
    if node is not None:
        return [(f, path) for f, value, path in argument_values(document) if value is node]
    return []


def name_input_error(error: GraphQLError, document: DocumentNode | None) -> GraphQLError:
    cause = _root_cause(error)
    if cause is None:
        return error
    places = _locate(error, document) if document is not None else []
    extensions: dict[str, Any] = {"code": "INVALID_INPUT"}
    if places:
        field_name, path = places[0]
        where = ", ".join(f"{f}({'.'.join(p)})" for f, p in places)
        extensions["field"] = path
        extensions["argument"] = f"{field_name}.{'.'.join(path)}"
        message = t("{where}: {problem}", where=where, problem=cause.message)
    else:
        message = error.message
    variable = (error.nodes or [None])[0]
    if isinstance(variable, VariableDefinitionNode):
        extensions["variable"] = variable.variable.name.value
    return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                        path=error.path, extensions=extensions)


class NameInputErrors(SchemaExtension):
    """Rewrites refused ``Date``/``DateTime`` inputs into ``INVALID_INPUT`` errors naming the argument."""

    def on_operation(self) -> Iterator[None]:  # type: ignore[override]
        yield
        ctx = self.execution_context
        result = ctx.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [name_input_error(e, ctx.graphql_document) for e in errors]  # type: ignore[union-attr]
