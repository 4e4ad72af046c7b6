"""Unwrapping of the `{success, data, message, meta}` response envelope into models."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from rasl_prefect.logging import get_logger
from rasl_prefect.models.common import RaslResponse
from rasl_prefect.models.pagination import Page, read_page_items, read_pagination

ModelT = TypeVar("ModelT", bound=RaslResponse)
ResultT = TypeVar("ResultT")

Parser = Callable[[Any, "str | None"], ResultT]
"""Turns a decoded JSON body and the request id into the method's return value."""


def read_request_id(body: Any, headers: Mapping[str, str]) -> str | None:
    """Return `meta.request_id` from the body, else an `X-Request-Id` header, else None."""
    if isinstance(body, Mapping):
        meta = body.get("meta")
        if isinstance(meta, Mapping) and isinstance(meta.get("request_id"), str):
            return str(meta["request_id"])
        if isinstance(body.get("request_id"), str):
            return str(body["request_id"])
    return headers.get("x-request-id")


def unwrap(body: Any) -> tuple[Any, str | None]:
    """Return the envelope's `data` and `message`; a body without an envelope is its own data."""
    if isinstance(body, Mapping) and ("data" in body or "success" in body):
        message = body.get("message")
        return body.get("data"), message if isinstance(message, str) else None
    return body, None


def parse_object(model: type[ModelT], **defaults: Any) -> Parser[ModelT]:
    """Return a parser that validates the envelope's `data` object into `model`.

    Args:
        model: The response model.
        **defaults: Values for fields the response leaves out, such as the id of a deleted object.
    """

    def parse(body: Any, request_id: str | None) -> ModelT:
        data, message = unwrap(body)
        values = dict(defaults)
        if isinstance(data, Mapping):
            values.update(data)
        result = _validate(model, values, request_id)
        result._request_id = request_id
        result._api_message = message
        return result

    return parse


def parse_page(model: type[ModelT], page: int, per_page: int) -> Parser[Page[ModelT]]:
    """Return a parser for one page of a list endpoint, reading any pagination layout."""

    def parse(body: Any, request_id: str | None) -> Page[ModelT]:
        if isinstance(body, list):
            body = {"data": body}
        if not isinstance(body, Mapping):
            body = {}
        items = []
        for raw_item in read_page_items(body):
            item = _validate(model, raw_item if isinstance(raw_item, Mapping) else {}, request_id)
            item._request_id = request_id
            items.append(item)
        return Page[model](  # type: ignore[valid-type]
            items=items,
            page=page,
            per_page=per_page,
            request_id=request_id,
            **read_pagination(body),
        )

    return parse


def _validate(model: type[ModelT], values: Mapping[str, Any], request_id: str | None) -> ModelT:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors(include_url=False, include_input=False)
        )
        # The request succeeded, so raising here would invite a duplicate send; keep the raw
        # values unvalidated instead.
        get_logger().warning(
            "RASL response does not match %s, kept unvalidated (request id %s): %s",
            model.__name__,
            request_id or "none",
            problems,
        )
        return model.model_construct(**dict(values))
