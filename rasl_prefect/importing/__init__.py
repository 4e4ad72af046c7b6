"""Reading contact exports (CSV from Google, Outlook, Shopify, Excel...) into normalised rows.

Nothing here sends HTTP requests or talks to Prefect's API: the `csv_import` flow builds on it.
"""

from rasl_prefect.importing.columns import CONTACT_FIELDS, ColumnMapping, PhoneColumn
from rasl_prefect.importing.errors import ContactFileDecodeError, ContactFileError
from rasl_prefect.importing.phones import PhoneResult, normalize_phone
from rasl_prefect.importing.reader import ContactFileReader, open_contact_rows
from rasl_prefect.importing.rows import Consent, ContactRow, RejectedRow, RejectionCode
from rasl_prefect.importing.source import hash_contact_file
from rasl_prefect.importing.summary import ContactFileSummary, scan_contact_file
from rasl_prefect.importing.values import (
    NormalizedValue,
    find_empty_template_field,
    normalize_template_value,
    parse_consent,
)

__all__ = [
    "CONTACT_FIELDS",
    "ColumnMapping",
    "Consent",
    "ContactFileDecodeError",
    "ContactFileError",
    "ContactFileReader",
    "ContactFileSummary",
    "ContactRow",
    "NormalizedValue",
    "PhoneColumn",
    "PhoneResult",
    "RejectedRow",
    "RejectionCode",
    "find_empty_template_field",
    "hash_contact_file",
    "normalize_phone",
    "normalize_template_value",
    "open_contact_rows",
    "parse_consent",
    "scan_contact_file",
]
