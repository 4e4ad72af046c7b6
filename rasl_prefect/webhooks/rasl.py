"""Parse RASL's webhook envelope and build the Prefect event for it.

RASL sends CRM changes in one envelope: `event` {id, type, timestamp, version},
`tenant` {id, name, domain}, `data` {resource {type, id, attributes}, relationships},
`changes` {previous, current, modified_fields} and `metadata`. Documented types are
`contact`, `source` and `status`, each `.created`, `.updated` or `.deleted`. Other
well-formed types are accepted too, so that a new RASL event type still reaches Prefect.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rasl_prefect.webhooks.events import WebhookEvent, derive_event_id, payload_size

IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$"
EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"

# A JSON integer (never a boolean) of zero or more, or a string checked by _is_identifier.
Identifier = Annotated[int, Field(strict=True, ge=0)] | str


class RaslEnvelopeError(ValueError):
    """The JSON body is not a valid RASL webhook envelope."""


class _EventHeader(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1, max_length=200, pattern=IDENTIFIER_PATTERN)
    type: str = Field(max_length=100, pattern=EVENT_TYPE_PATTERN)
    timestamp: str | None = None
    version: str | None = None


class _Tenant(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: Identifier
    name: str | None = None
    domain: str | None = None


class _Resource(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = Field(max_length=100, pattern=r"^[a-z][a-z0-9_]*$")
    id: Identifier
    attributes: dict[str, Any] | None = None


class _Data(BaseModel):
    model_config = ConfigDict(extra="allow")

    resource: _Resource
    relationships: dict[str, Any] | list[Any] | None = None


class RaslEnvelope(BaseModel):
    """The parts of a RASL webhook envelope that the receiver relies on.

    Unknown fields are kept, and the whole envelope travels as the event payload.
    """

    model_config = ConfigDict(extra="allow")

    event: _EventHeader
    tenant: _Tenant
    data: _Data


def parse_rasl_envelope(document: Any) -> RaslEnvelope:
    """Validate a decoded JSON document as a RASL webhook envelope.

    Args:
        document: The decoded JSON body.

    Returns:
        The envelope.

    Raises:
        RaslEnvelopeError: A required field is missing or invalid; the message names the
            fields but never their values.
    """
    if not isinstance(document, dict):
        raise RaslEnvelopeError(
            f"The body is a JSON {type(document).__name__}, expected an object with "
            "'event', 'tenant' and 'data'."
        )

    try:
        envelope = RaslEnvelope.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors(include_input=False, include_url=False)
        )
        raise RaslEnvelopeError(
            f"The body is not a valid RASL webhook envelope: {problems}."
        ) from None

    for name, value in (
        ("tenant.id", envelope.tenant.id),
        ("data.resource.id", envelope.data.resource.id),
    ):
        if not _is_identifier(value):
            raise RaslEnvelopeError(
                f"{name} must be an integer or a string of letters, digits and '_.:-' "
                "of at most 200 characters."
            )
    return envelope


def build_rasl_event(document: dict[str, Any], max_payload_bytes: int) -> WebhookEvent:
    """Build the Prefect event for a RASL envelope.

    The event is `rasl.<event.type>`, such as `rasl.contact.created`. Its resource is
    `rasl.<resource type>.<resource id>` with the labels `rasl.tenant.id` and
    `rasl.resource.type`. The tenant is a related resource with role `tenant`. The
    payload is the envelope as received. When that is larger than `max_payload_bytes`,
    the payload keeps only `event`, `tenant`, `metadata` and the resource's type and id,
    and adds `"truncated": true`.

    Args:
        document: The decoded JSON body.
        max_payload_bytes: The largest payload to attach.

    Returns:
        The event, whose id is derived from the tenant id and the RASL event id.

    Raises:
        RaslEnvelopeError: The document is not a valid envelope.
    """
    envelope = parse_rasl_envelope(document)
    tenant_id = str(envelope.tenant.id)
    resource_type = envelope.data.resource.type
    resource_id = str(envelope.data.resource.id)

    resource = {
        "prefect.resource.id": f"rasl.{resource_type}.{resource_id}",
        "rasl.resource.type": resource_type,
        "rasl.tenant.id": tenant_id,
    }

    tenant_resource = {
        "prefect.resource.id": f"rasl.tenant.{tenant_id}",
        "prefect.resource.role": "tenant",
    }
    if envelope.tenant.name:
        tenant_resource["prefect.resource.name"] = envelope.tenant.name

    payload = document
    if payload_size(document) > max_payload_bytes:
        payload = _summarise_envelope(document)

    return WebhookEvent(
        name=f"rasl.{envelope.event.type}",
        resource=resource,
        related=[tenant_resource],
        payload=payload,
        event_id=derive_event_id("rasl", rasl_delivery_key(envelope)),
    )


def rasl_delivery_key(envelope: RaslEnvelope) -> str:
    """Return the deduplication key of a RASL delivery: the tenant id and the RASL event id."""
    return f"{envelope.tenant.id}:{envelope.event.id}"


def _summarise_envelope(document: dict[str, Any]) -> dict[str, Any]:
    resource = document["data"]["resource"]
    return {
        "event": document["event"],
        "tenant": document["tenant"],
        "data": {"resource": {"type": resource["type"], "id": resource["id"]}},
        "metadata": document.get("metadata"),
        "truncated": True,
    }


def _is_identifier(value: int | str) -> bool:
    if isinstance(value, int):
        return True
    return (
        0 < len(value) <= 200
        and all(character.isascii() for character in value)
        and (
            value[0].isalnum()
            and all(character.isalnum() or character in "_.:-" for character in value)
        )
    )
