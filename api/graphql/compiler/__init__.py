"""The compiled read path.

After validation, a query whose every root field this package knows is turned
into ONE SQL statement that returns the finished JSON text of ``data``, and
graphql-core's per-field execution is skipped. Everything else (mutations,
introspection, fields with resolvers it does not know, agency keys, errors of
any kind) goes to normal execution, which stays the reference: the differential
tests check that both produce the same bytes.

What keeps the two engines equal:
- the field → column mapping is ``api.graphql.readmap`` (the resolvers read the
  same description);
- who sees which rows is ``services.access`` (one SQL row filter per type),
  applied here to every table alias;
- the page query (filters, order, cursor) is ``api.graphql.queries``' own;
- values are rendered exactly as Strawberry serialises them (ISO timestamps in
  UTC with microseconds only when present, decimals as text, base64 global IDs,
  cursors as the same base64 JSON), and the HTTP layer writes compact JSON.

PostgreSQL only; on SQLite every query runs normally.

The package, by concern:
- ``sqljson``: SQL expressions that build JSON text (the values as Strawberry
  prints them, global IDs, cursors, objects, arrays);
- ``planning``: one ``Compilation`` per query; objects, fields, scores and
  connections as JSON expressions, read through ``readmap`` and ``access``;
- ``roots``: the root fields it knows (``applications``, ``application``,
  ``checkResults``), each a parameterised plan;
- ``cache``: one prepared statement per query shape and caller class;
- ``extension``: the schema extension that runs it and falls back.
"""

from api.graphql.compiler.extension import CompiledReadPath
from api.graphql.compiler.sqljson import CannotCompile, RawJSON

__all__ = ["CannotCompile", "CompiledReadPath", "RawJSON"]
