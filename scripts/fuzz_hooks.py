"""Schemathesis hooks: strategies for the contract's custom scalars."""

from decimal import Decimal

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

schemathesis.graphql.scalar(
    "Decimal",
    st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("100000000"), places=2, allow_nan=False)
    .map(lambda d: nodes.String(str(d))),
)
schemathesis.graphql.scalar(
    "JSON",
    st.one_of(st.just({"passMark": 1, "gates": [], "criteria": []}), st.dictionaries(st.text(max_size=5), st.integers()))
    .map(lambda v: nodes.String(str(v))),
)
