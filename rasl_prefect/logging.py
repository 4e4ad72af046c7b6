"""Logging helpers: the run logger when inside a Prefect run, and phone masking."""

from __future__ import annotations

import logging
from typing import Any

from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger


def get_logger(name: str = "rasl_prefect") -> logging.Logger | logging.LoggerAdapter[Any]:
    """Return the Prefect run logger inside a flow or task run, else a module logger.

    Args:
        name: The logger name to use outside a run.

    Returns:
        A logger.
    """
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(name)


def mask_phone(phone: str | None) -> str:
    """Mask a phone number for logs and reports, keeping only its last 4 digits.

    Args:
        phone: A phone number in any format, or None.

    Returns:
        The number with every digit but the last 4 replaced, such as `***4567`.

    Examples:
        >>> mask_phone("+966500000011")
        '***0011'
    """
    if not phone:
        return ""
    digits = [character for character in phone if character.isdigit()]
    if len(digits) <= 4:
        return "*" * len(digits)
    return "***" + "".join(digits[-4:])
