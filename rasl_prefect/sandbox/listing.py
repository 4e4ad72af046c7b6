"""List endpoints: page-number pagination, sorting, search, field selection and filters."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.datastructures import URL, QueryParams

from rasl_prefect.sandbox.clock import isoformat, parse_isoformat
from rasl_prefect.sandbox.errors import field_error
from rasl_prefect.sandbox.phones import clean_phone

DEFAULT_PER_PAGE = 15
MAX_PER_PAGE = 100

FilterKind = Literal["int", "str", "bool", "datetime", "int_array"]

OPERATOR_ALIASES = {
    "eq": "eq",
    "=": "eq",
    "gte": "gte",
    ">=": "gte",
    "lte": "lte",
    "<=": "lte",
    "gt": "gt",
    ">": "gt",
    "lt": "lt",
    "<": "lt",
    "ne": "ne",
    "!=": "ne",
    "like": "like",
    "in": "in",
    "not_in": "not_in",
    "between": "between",
    "null": "null",
}
"""Filter operators by the name or symbol a query may use."""

FILTER_KEY = re.compile(r"^filter\[([^\]]+)\](?:\[([^\]]+)\])?$")


@dataclass(frozen=True)
class ListSpec:
    """The parameters one list endpoint accepts.

    Attributes:
        sort_fields: Fields `sort` may name.
        default_sort: The sort used when `sort` is absent, such as `-created_at`.
        search_fields: Fields `search`/`q` matches partially, case-insensitively.
        filters: Filterable fields and how their values compare.
        selectable_fields: Fields `fields` may name.
        includes: Relationships `include` may name.
        phone_search_fields: Search fields holding phones, matched also on the query's digits.
    """

    sort_fields: tuple[str, ...]
    default_sort: str
    search_fields: tuple[str, ...]
    filters: Mapping[str, FilterKind]
    selectable_fields: tuple[str, ...]
    includes: tuple[str, ...] = ()
    phone_search_fields: tuple[str, ...] = ()


@dataclass
class ListQuery:
    """The parsed query of one list request."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    sort: list[tuple[str, bool]] = field(default_factory=list)
    search: str | None = None
    filters: list[tuple[str, str, Any]] = field(default_factory=list)
    fields: list[str] | None = None
    include: list[str] = field(default_factory=list)


def _parse_positive_int(params: QueryParams, name: str, default: int, maximum: int | None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"\d+", raw) or int(raw) < 1:
        raise field_error(name, f"The {name} parameter must be a positive integer, not {raw!r}.")
    value = int(raw)
    if maximum is not None and value > maximum:
        raise field_error(
            name, f"The {name} parameter must not be greater than {maximum}; got {value}."
        )
    return value


def _split_list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _convert_filter_value(name: str, kind: FilterKind, raw: str) -> Any:
    """Convert one filter value to the field's type, raising 422 when it cannot be."""
    if kind in ("int", "int_array"):
        if not re.fullmatch(r"-?\d+", raw.strip()):
            raise field_error(
                f"filter.{name}", f"The filter on {name} needs an integer, not {raw!r}."
            )
        return int(raw)
    if kind == "bool":
        lowered = raw.strip().lower()
        if lowered not in ("true", "false", "1", "0"):
            raise field_error(
                f"filter.{name}", f"The filter on {name} needs true or false, not {raw!r}."
            )
        return lowered in ("true", "1")
    if kind == "datetime":
        try:
            return isoformat(parse_isoformat(raw.strip()))
        except ValueError:
            raise field_error(
                f"filter.{name}", f"The filter on {name} needs an ISO 8601 date, not {raw!r}."
            ) from None
    return raw


def _parse_filter(
    spec: ListSpec, name: str, operator_name: str | None, raw: str
) -> tuple[str, str, Any]:
    if name not in spec.filters:
        allowed = ", ".join(spec.filters) or "none"
        raise field_error(
            f"filter.{name}", f"Filtering on {name!r} is not allowed; allowed filters: {allowed}."
        )
    operator = OPERATOR_ALIASES.get(operator_name or "eq")
    if operator is None:
        allowed = ", ".join(OPERATOR_ALIASES)
        raise field_error(
            f"filter.{name}", f"Unknown filter operator {operator_name!r}; use one of: {allowed}."
        )
    kind = spec.filters[name]

    if operator == "null":
        return name, operator, _convert_filter_value(name, "bool", raw)
    if operator == "like":
        return name, operator, raw.lower()
    if operator in ("in", "not_in"):
        return (
            name,
            operator,
            [_convert_filter_value(name, kind, part) for part in _split_list(raw)],
        )
    if operator == "between":
        parts = _split_list(raw)
        if len(parts) != 2:
            raise field_error(
                f"filter.{name}",
                f"The between filter on {name} needs two comma-separated values, not {raw!r}.",
            )
        return name, operator, [_convert_filter_value(name, kind, part) for part in parts]
    return name, operator, _convert_filter_value(name, kind, raw)


def parse_list_query(params: QueryParams, spec: ListSpec) -> ListQuery:
    """Parse and check the pagination, sort, search, fields, include and filter parameters.

    Raises:
        ApiError: 422 `VALIDATION_ERROR` naming the bad parameter and the allowed values.
    """
    query = ListQuery()
    query.page = _parse_positive_int(params, "page", 1, None)
    query.per_page = _parse_positive_int(params, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)

    for part in _split_list(params.get("sort") or spec.default_sort):
        descending = part.startswith("-")
        name = part.lstrip("-+")
        if name not in spec.sort_fields:
            raise field_error(
                "sort",
                f"Sorting by {name!r} is not allowed; "
                f"allowed fields: {', '.join(spec.sort_fields)}.",
            )
        query.sort.append((name, descending))

    search = params.get("search") or params.get("q")
    query.search = search.strip() if search and search.strip() else None

    if params.get("fields"):
        query.fields = _split_list(params["fields"])
        unknown = [name for name in query.fields if name not in spec.selectable_fields]
        if unknown:
            raise field_error(
                "fields",
                f"Unknown field(s) {', '.join(unknown)}; "
                f"allowed fields: {', '.join(spec.selectable_fields)}.",
            )

    if params.get("include"):
        query.include = _split_list(params["include"])
        unknown = [name for name in query.include if name not in spec.includes]
        if unknown:
            allowed = ", ".join(spec.includes) or "none"
            raise field_error(
                "include", f"Unknown include(s) {', '.join(unknown)}; allowed: {allowed}."
            )

    for key, raw in params.multi_items():
        match = FILTER_KEY.match(key)
        if match is not None:
            query.filters.append(_parse_filter(spec, match.group(1), match.group(2), raw))
        elif key.startswith("filter"):
            raise field_error(
                key,
                f"Malformed filter parameter {key!r}; use filter[field] or "
                "filter[field][operator].",
            )
    return query


def _comparable(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _matches(record_value: Any, kind: FilterKind, operator: str, value: Any) -> bool:
    """Return True when one record value passes one filter."""
    if operator == "null":
        empty = record_value is None or record_value == [] or record_value == ""
        return empty if value else not empty

    if kind == "int_array":
        members = set(record_value or [])
        if operator == "eq":
            return value in members
        if operator == "ne":
            return value not in members
        if operator == "in":
            return bool(members.intersection(value))
        if operator == "not_in":
            return not members.intersection(value)
        return False

    if operator == "like":
        return record_value is not None and value in str(record_value).lower()
    if operator == "in":
        return _comparable(record_value) in [_comparable(item) for item in value]
    if operator == "not_in":
        return _comparable(record_value) not in [_comparable(item) for item in value]
    if operator == "ne":
        return _comparable(record_value) != _comparable(value)
    if operator == "eq":
        return _comparable(record_value) == _comparable(value)

    # The ordering operators never match a null, as in SQL.
    if record_value is None:
        return False
    left, right = _comparable(record_value), value
    if operator == "between":
        low, high = (_comparable(item) for item in value)
        return bool(low <= left <= high)
    if operator == "gte":
        return bool(left >= _comparable(right))
    if operator == "lte":
        return bool(left <= _comparable(right))
    if operator == "gt":
        return bool(left > _comparable(right))
    return bool(left < _comparable(right))


def select_records(
    records: Iterable[dict[str, Any]], query: ListQuery, spec: ListSpec
) -> list[dict[str, Any]]:
    """Return the records that pass the search and every filter, sorted as asked."""
    selected = list(records)

    if query.search is not None:
        needle = query.search.lower()
        digits = clean_phone(query.search)
        selected = [
            record
            for record in selected
            if any(needle in str(record.get(name) or "").lower() for name in spec.search_fields)
            or (
                digits
                and any(digits in str(record.get(name) or "") for name in spec.phone_search_fields)
            )
        ]

    for name, operator, value in query.filters:
        kind = spec.filters[name]
        selected = [
            record for record in selected if _matches(record.get(name), kind, operator, value)
        ]

    # Ties keep a stable order by id, in the direction of the first sort field.
    first_descending = query.sort[0][1] if query.sort else False
    selected.sort(key=lambda record: record.get("id", 0), reverse=first_descending)
    for name, descending in reversed(query.sort):
        selected.sort(key=_sort_key(name), reverse=descending)
    return selected


def _sort_key(name: str) -> Callable[[dict[str, Any]], tuple[bool, Any]]:
    def key(record: dict[str, Any]) -> tuple[bool, Any]:
        value = record.get(name)
        # Nulls sort first in ascending order, as in MySQL.
        return (value is not None, _comparable(value) if value is not None else 0)

    return key


def page_of(records: list[dict[str, Any]], query: ListQuery) -> list[dict[str, Any]]:
    """Return the records of the requested page."""
    start = (query.page - 1) * query.per_page
    return records[start : start + query.per_page]


def project_fields(item: dict[str, Any], query: ListQuery) -> dict[str, Any]:
    """Keep only the requested fields (and loaded relationships) of one item."""
    if query.fields is None:
        return item
    keep = set(query.fields) | set(query.include)
    return {name: value for name, value in item.items() if name in keep}


def pagination_meta(
    total: int, query: ListQuery, url: URL
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the Laravel-style pagination `meta` fields and the `links` object."""
    last_page = max(1, math.ceil(total / query.per_page))
    start = (query.page - 1) * query.per_page
    item_count = max(0, min(query.per_page, total - start))
    meta = {
        "current_page": query.page,
        "per_page": query.per_page,
        "total": total,
        "last_page": last_page,
        "from": start + 1 if item_count else None,
        "to": start + item_count if item_count else None,
    }

    def page_url(page: int) -> str:
        return str(url.include_query_params(page=page))

    links = {
        "first": page_url(1),
        "last": page_url(last_page),
        "prev": page_url(query.page - 1) if 1 < query.page <= last_page + 1 else None,
        "next": page_url(query.page + 1) if query.page < last_page else None,
    }
    return meta, links
