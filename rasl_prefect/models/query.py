"""Sorting, search and `filter[...]` query parameters shared by the list endpoints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

FILTER_OPERATORS = frozenset(
    {
        "gte",
        ">=",
        "lte",
        "<=",
        "gt",
        ">",
        "lt",
        "<",
        "ne",
        "!=",
        "like",
        "in",
        "not_in",
        "between",
        "null",
    }
)
"""Operators the API accepts in `filter[field][operator]=value`."""

ScalarFilterValue = str | int | float | bool | date | datetime
FilterValue = ScalarFilterValue | Sequence[ScalarFilterValue] | Mapping[str, Any]
"""An exact value, a list (sent comma-separated), or `{operator: value}` like `{"gte": 5}`."""


def format_filter_scalar(value: Any) -> str:
    """Format a filter value: booleans as `true`/`false`, dates in ISO 8601, lists comma-joined."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(format_filter_scalar(item) for item in value)
    return str(value)


def filter_params(filters: Mapping[str, Any]) -> dict[str, str]:
    """Flatten filters into query parameters.

    Args:
        filters: Field names mapped to an exact value, a list, or `{operator: value}`.

    Returns:
        Parameters such as `{"filter[type]": "lead", "filter[created_at][gte]": "2026-01-01"}`.

    Raises:
        ValueError: An operator is not one the API accepts.
    """
    params: dict[str, str] = {}
    for field, value in filters.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            for operator, operand in value.items():
                if operator not in FILTER_OPERATORS:
                    raise ValueError(
                        f"filter operator {operator!r} on {field!r} is not supported; use one of "
                        f"{', '.join(sorted(FILTER_OPERATORS))}"
                    )
                params[f"filter[{field}][{operator}]"] = format_filter_scalar(operand)
        else:
            params[f"filter[{field}]"] = format_filter_scalar(value)
    return params


class ListFilter(BaseModel):
    """Base of the typed filters: each set field becomes one `filter[...]` parameter.

    Subclasses allow extra fields, so a filter the docs do not list can still be sent.
    """

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    @field_validator("*", mode="before")
    @classmethod
    def _check_operators(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            filter_params({"field": value})
        return value

    def to_params(self) -> dict[str, str]:
        """Return the filter as query parameters."""
        values = {name: getattr(self, name) for name in type(self).model_fields}
        values.update(self.model_extra or {})
        return filter_params(values)


def sort_param(sort: str | Sequence[str] | None) -> str | None:
    """Join sort fields into the API's comma-separated form; a leading `-` sorts descending."""
    if sort is None:
        return None
    if isinstance(sort, str):
        return sort
    return ",".join(sort)
