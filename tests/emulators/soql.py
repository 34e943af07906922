"""A small SOQL evaluator over plain Python records, for the Salesforce emulator.

It covers what the collector sends and no more: field lists with relationship paths
(Profile.Name), child-relationship subqueries, WHERE with = != < <= > >= LIKE IN (a list,
or a semi-join subquery of one field),
AND/OR/parentheses, string (with SOQL's escape sequences), boolean, null, number, date
and datetime literals, COUNT(field) with aliases, GROUP BY, HAVING, ORDER BY and LIMIT.
Tables may be any sequence, so a large one can be generated as it is read. Anything else is
a MALFORMED_QUERY, so a collector change that needs more fails loudly in the tests.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

Record = dict[str, Any]


class SoqlError(Exception):
    """A query Salesforce would refuse: carries the errorCode it would send."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


# --- the query model ------------------------------------------------------------------

@dataclass(frozen=True)
class FieldRef:
    path: str


@dataclass(frozen=True)
class Count:
    field: str
    alias: str | None = None


@dataclass(frozen=True)
class Compare:
    left: FieldRef | Count
    op: str
    right: Any  # a literal, or for IN a list of literals or a semi-join Query


@dataclass(frozen=True)
class Logical:
    op: str  # AND or OR
    parts: tuple[Expr, ...]


Expr = Compare | Logical


@dataclass
class Query:
    columns: list[FieldRef | Count | Query] = field(default_factory=list)
    sobject: str = ""
    where: Expr | None = None
    group_by: list[str] = field(default_factory=list)
    having: Expr | None = None
    order_by: list[tuple[FieldRef | Count, bool]] = field(default_factory=list)  # (key, desc)
    limit: int | None = None


T = TypeVar("T")

# --- parsing --------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<op>!=|<=|>=|=|<|>)
    | (?P<punct>[(),])
    | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "LIKE", "IN", "GROUP", "BY", "HAVING",
             "ORDER", "ASC", "DESC", "LIMIT", "NULL", "TRUE", "FALSE", "COUNT", "NULLS",
             "FIRST", "LAST"}
_CLAUSE_ENDS = {"FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT"}


@dataclass
class _Token:
    kind: str
    text: str


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token at: {text[position:][:30]}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "name" and value.upper() in _KEYWORDS:
            kind, value = "keyword", value.upper()
        tokens.append(_Token(kind, value))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self, *keywords: str) -> bool:
        if self.index >= len(self.tokens):
            return False
        token = self.tokens[self.index]
        return token.text in keywords and token.kind in ("keyword", "punct", "op")

    def take(self) -> _Token:
        if self.index >= len(self.tokens):
            raise SoqlError("MALFORMED_QUERY", "unexpected end of query")
        self.index += 1
        return self.tokens[self.index - 1]

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise SoqlError("MALFORMED_QUERY", f"expected {text}, found {token.text}")

    def name(self) -> str:
        token = self.take()
        if token.kind != "name":
            raise SoqlError("MALFORMED_QUERY", f"expected a name, found {token.text}")
        return token.text

    def listed(self, item: Callable[[], T]) -> list[T]:
        """One or more items separated by commas."""
        items = [item()]
        while self.peek(","):
            self.take()
            items.append(item())
        return items

    def query(self) -> Query:
        query = Query()
        self.expect("SELECT")
        query.columns = self.listed(self.column)
        self.expect("FROM")
        query.sobject = self.name()
        if self.peek("WHERE"):
            self.take()
            query.where = self.expression()
        if self.peek("GROUP"):
            self.take()
            self.expect("BY")
            query.group_by = self.listed(self.name)
        if self.peek("HAVING"):
            self.take()
            query.having = self.expression()
        if self.peek("ORDER"):
            self.take()
            self.expect("BY")
            query.order_by = self.listed(self.order_key)
        if self.peek("LIMIT"):
            self.take()
            query.limit = int(self.take().text)
        return query

    def column(self) -> FieldRef | Count | Query:
        if self.peek("("):
            self.take()
            sub = self.query()
            self.expect(")")
            return sub
        operand = self.operand()
        if isinstance(operand, Count) and self.index < len(self.tokens) \
                and self.tokens[self.index].kind == "name":
            return Count(operand.field, self.take().text)
        return operand

    def operand(self) -> FieldRef | Count:
        if self.peek("COUNT"):
            self.take()
            self.expect("(")
            counted = self.name()
            self.expect(")")
            return Count(counted)
        return FieldRef(self.name())

    def order_key(self) -> tuple[FieldRef | Count, bool]:
        key = self.operand()
        descending = False
        if self.peek("ASC", "DESC"):
            descending = self.take().text == "DESC"
        return key, descending

    def expression(self) -> Expr:
        parts = [self.conjunction()]
        while self.peek("OR"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Logical("OR", tuple(parts))

    def conjunction(self) -> Expr:
        parts = [self.condition()]
        while self.peek("AND"):
            self.take()
            parts.append(self.condition())
        return parts[0] if len(parts) == 1 else Logical("AND", tuple(parts))

    def condition(self) -> Expr:
        if self.peek("("):
            self.take()
            inner = self.expression()
            self.expect(")")
            return inner
        left = self.operand()
        token = self.take()
        if token.text == "IN":
            self.expect("(")
            if self.peek("SELECT"):
                semi_join = self.query()
                self.expect(")")
                if len(semi_join.columns) != 1 or not isinstance(semi_join.columns[0], FieldRef):
                    raise SoqlError("MALFORMED_QUERY", "a semi-join selects exactly one field")
                return Compare(left, "IN", semi_join)
            values = self.listed(self.literal)
            self.expect(")")
            return Compare(left, "IN", values)
        if token.kind != "op" and token.text != "LIKE":
            raise SoqlError("MALFORMED_QUERY", f"expected an operator, found {token.text}")
        return Compare(left, token.text, self.literal())

    def literal(self) -> Any:
        token = self.take()
        if token.kind == "string":
            return _unescape(token.text[1:-1])
        if token.kind == "datetime":
            return _parse_datetime(token.text)
        if token.kind == "number":
            return float(token.text) if "." in token.text else int(token.text)
        if token.kind == "date":
            return token.text
        literals = {"NULL": None, "TRUE": True, "FALSE": False}
        if token.kind == "keyword" and token.text in literals:
            return literals[token.text]
        raise SoqlError("MALFORMED_QUERY", f"expected a value, found {token.text}")


# SOQL's escape sequences (Quoted String Escape Sequences); \\_ and \\% stay as they are
# for LIKE, and any other backslash is an error, as in Salesforce.
_ESCAPES = {"n": "\n", "N": "\n", "r": "\r", "R": "\r", "t": "\t", "T": "\t", "b": "\b",
            "B": "\b", "f": "\f", "F": "\f", '"': '"', "'": "'", "\\": "\\",
            "_": "\\_", "%": "\\%"}


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        sequence = match[1]
        if len(sequence) == 5:  # \\uXXXX
            return chr(int(sequence[1:], 16))
        if sequence not in _ESCAPES:
            raise SoqlError("MALFORMED_QUERY", f"invalid escape sequence \\{sequence}")
        return _ESCAPES[sequence]

    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", one, text, flags=re.DOTALL)


def parse(text: str) -> Query:
    parser = _Parser(_tokenize(text))
    query = parser.query()
    if parser.index != len(parser.tokens):
        raise SoqlError("MALFORMED_QUERY", f"unexpected {parser.tokens[parser.index].text}")
    return query


def _parse_datetime(text: str) -> datetime:
    """Salesforce writes 2026-11-19T08:12:00.000+0000; SOQL literals end in Z."""
    return datetime.fromisoformat(re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2",
                                         text.replace("Z", "+00:00")))


# --- evaluation -----------------------------------------------------------------------

@dataclass(frozen=True)
class Schema:
    """Which fields each object has, and how its relationships resolve.

    A relationship `Profile` on User is followed through the field `ProfileId` to the
    object named in `references` (default: the relationship's own name).
    """

    fields: dict[str, set[str]]
    references: dict[tuple[str, str], str] = field(default_factory=dict)
    children: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)


class Database:
    def __init__(self, schema: Schema, tables: dict[str, Sequence[Record]]) -> None:
        self.schema = schema
        self.tables = tables

    def rows(self, sobject: str) -> Sequence[Record]:
        if sobject not in self.schema.fields:
            raise SoqlError("INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
        return self.tables.get(sobject, [])

    def find(self, sobject: str, record_id: Any) -> Record | None:
        return next((r for r in self.rows(sobject) if r.get("Id") == record_id), None)

    def target(self, sobject: str, relationship: str) -> str:
        if f"{relationship}Id" not in self.schema.fields[sobject]:
            raise SoqlError("INVALID_FIELD",
                            f"Didn't understand relationship '{relationship}' on {sobject}.")
        return self.schema.references.get((sobject, relationship), relationship)

    def value(self, sobject: str, record: Record | None, path: str) -> Any:
        head, _, rest = path.partition(".")
        if record is None:
            return None
        if not rest:
            if head not in self.schema.fields[sobject]:
                raise SoqlError("INVALID_FIELD", f"No such column '{head}' on entity '{sobject}'.")
            return record.get(head)
        target = self.target(sobject, head)
        return self.value(target, self.find(target, record.get(f"{head}Id")), rest)


def execute(db: Database, text: str, *, record_url: Callable[[str, str], str]) -> list[Record]:
    """All the records a query yields, shaped as Salesforce returns them."""
    query = parse(text)
    matching = (r for r in db.rows(query.sobject) if _holds(db, query.sobject, r, query.where))
    if query.group_by or any(isinstance(c, Count) for c in query.columns):
        return _aggregate(db, query, list(matching))
    if not query.order_by and query.limit is not None:
        # Stop at the limit: a large table is never read past what is asked for.
        matching = itertools.islice(matching, query.limit)
    rows = list(matching)
    for key, descending in reversed(query.order_by):
        if isinstance(key, Count):
            raise SoqlError("MALFORMED_QUERY", "ORDER BY COUNT() needs GROUP BY")
        rows.sort(key=partial(_ordering, db, query.sobject, key), reverse=descending)
    rows = rows[: query.limit] if query.limit is not None else rows
    return [_project(db, query, row, record_url) for row in rows]


def _project(db: Database, query: Query, row: Record,
             record_url: Callable[[str, str], str]) -> Record:
    shaped: Record = {"attributes": {"type": query.sobject,
                                     "url": record_url(query.sobject, row.get("Id", ""))}}
    for column in query.columns:
        if isinstance(column, Query):
            shaped[column.sobject] = _children(db, query.sobject, row, column, record_url)
        elif isinstance(column, FieldRef):
            _place(db, query.sobject, row, shaped, column.path.split("."), record_url)
    return shaped


def _place(db: Database, sobject: str, row: Record | None, shaped: Record, path: list[str],
           record_url: Callable[[str, str], str]) -> None:
    head = path[0]
    if len(path) == 1:
        shaped[head] = db.value(sobject, row, head)
        return
    target = db.target(sobject, head)
    related = db.find(target, row.get(f"{head}Id")) if row else None
    if related is None:
        shaped[head] = None
        return
    nested = shaped.get(head) or {"attributes": {"type": target,
                                                 "url": record_url(target, related["Id"])}}
    shaped[head] = nested
    _place(db, target, related, nested, path[1:], record_url)


def _children(db: Database, sobject: str, row: Record, sub: Query,
              record_url: Callable[[str, str], str]) -> Record | None:
    relation = db.schema.children.get((sobject, sub.sobject))
    if relation is None:
        raise SoqlError("INVALID_TYPE", f"Didn't understand relationship '{sub.sobject}'.")
    child_object, foreign_key = relation
    rows = [r for r in db.rows(child_object)
            if r.get(foreign_key) == row.get("Id") and _holds(db, child_object, r, sub.where)]
    if not rows:
        return None  # Salesforce sends null, not an empty list, for no child records
    as_child = Query(columns=sub.columns, sobject=child_object)
    records = [_project(db, as_child, r, record_url) for r in rows]
    return {"totalSize": len(records), "done": True, "records": records}


def _aggregate(db: Database, query: Query, rows: list[Record]) -> list[Record]:
    groups: dict[tuple[Any, ...], list[Record]] = {}
    for row in rows:
        grouped = tuple(_group_key(db.value(query.sobject, row, g)) for g in query.group_by)
        groups.setdefault(grouped, []).append(row)
    if not query.group_by:
        groups = {(): rows}  # one result row even when nothing matched
    results = []
    for members in groups.values():
        if query.having and not _holds(db, query.sobject, members, query.having):
            continue
        results.append(members)
    for key, descending in reversed(query.order_by):
        results.sort(key=partial(_ordering, db, query.sobject, key), reverse=descending)
    if query.limit is not None:
        results = results[: query.limit]
    return [_aggregate_row(db, query, members) for members in results]


def _aggregate_row(db: Database, query: Query, members: list[Record]) -> Record:
    shaped: Record = {"attributes": {"type": "AggregateResult"}}
    unnamed = 0
    for column in query.columns:
        if isinstance(column, Count):
            name = column.alias or f"expr{unnamed}"
            unnamed += column.alias is None
            shaped[name] = _operand(db, query.sobject, members, column)
        elif isinstance(column, FieldRef):
            if column.path not in query.group_by:
                raise SoqlError("MALFORMED_QUERY",
                                f"Field must be grouped or aggregated: {column.path}")
            shaped[column.path.split(".")[-1]] = db.value(query.sobject, members[0], column.path)
        else:
            raise SoqlError("MALFORMED_QUERY", "subqueries cannot be aggregated")
    return shaped


def _operand(db: Database, sobject: str, subject: Record | list[Record],
             operand: FieldRef | Count) -> Any:
    if isinstance(operand, Count):
        if not isinstance(subject, list):
            raise SoqlError("MALFORMED_QUERY", "COUNT() is only allowed in HAVING or SELECT")
        return sum(db.value(sobject, r, operand.field) is not None for r in subject)
    row = subject[0] if isinstance(subject, list) else subject
    return db.value(sobject, row, operand.path)


def _holds(db: Database, sobject: str, subject: Record | list[Record],
           expr: Expr | None) -> bool:
    if expr is None:
        return True
    if isinstance(expr, Logical):
        results: Iterable[bool] = (_holds(db, sobject, subject, p) for p in expr.parts)
        return all(results) if expr.op == "AND" else any(results)
    right = expr.right
    if isinstance(right, Query):  # a semi-join: the values its one field takes
        column = right.columns[0]
        assert isinstance(column, FieldRef)
        right = [db.value(right.sobject, r, column.path) for r in db.rows(right.sobject)
                 if _holds(db, right.sobject, r, right.where)]
    return _compare(_operand(db, sobject, subject, expr.left), expr.op, right)


def _compare(value: Any, op: str, literal: Any) -> bool:
    if op == "IN":
        if isinstance(value, str) and all(isinstance(item, str) for item in literal):
            return value.casefold() in _folded(tuple(literal))
        return any(_compare(value, "=", item) for item in literal)
    if literal is None or value is None:
        equal = value is None and literal is None
        return {"=": equal, "!=": not equal}.get(op, False)
    if isinstance(literal, datetime):
        value = _parse_datetime(value)
    elif isinstance(literal, str):
        value, literal = str(value).casefold(), literal.casefold()  # SOQL text is case-blind
    if op == "LIKE":
        pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c)
                          for c in literal)
        return re.fullmatch(pattern, value, re.DOTALL) is not None
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda a, b: bool(a == b), "!=": lambda a, b: bool(a != b),
        "<": lambda a, b: bool(a < b), "<=": lambda a, b: bool(a <= b),
        ">": lambda a, b: bool(a > b), ">=": lambda a, b: bool(a >= b),
    }
    return comparisons[op](value, literal)


@functools.lru_cache(maxsize=64)
def _folded(texts: tuple[str, ...]) -> frozenset[str]:
    """An IN list's texts, case-folded once rather than for every row compared."""
    return frozenset(text.casefold() for text in texts)


def _group_key(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _ordering(db: Database, sobject: str, key: FieldRef | Count,
              subject: Record | list[Record]) -> tuple[bool, Any]:
    value = _operand(db, sobject, subject, key)
    # Salesforce sorts nulls first in ascending order.
    return (value is not None, _group_key(value) if value is not None else 0)
