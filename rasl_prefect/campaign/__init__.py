"""Template campaigns that message each contact at most once, and the pieces of `csv_import`."""

from rasl_prefect.campaign.keys import derive_campaign_id, message_key
from rasl_prefect.campaign.ledger import SendLedger
from rasl_prefect.campaign.models import Recipient, SendOutcome
from rasl_prefect.campaign.planning import file_columns, fingerprint_file, iter_contact_chunks
from rasl_prefect.campaign.preflight import (
    IMPORT_SCOPES,
    MERGE_FIELDS,
    CampaignPreflightError,
    check_scopes,
    check_template_fields,
    find_approved_template,
)
from rasl_prefect.campaign.report import CsvImportReport, FailedSendReport, RejectedRowReport
from rasl_prefect.campaign.runner import (
    add_chunk_result,
    find_or_create_group,
    publish_report,
    run_chunks,
)
from rasl_prefect.campaign.sender import TemplateSender
from rasl_prefect.campaign.tasks import (
    CampaignSettings,
    ChunkContact,
    ChunkResult,
    ContactChunk,
    import_contact_chunk,
    send_template_to_recipients,
)

__all__ = [
    "IMPORT_SCOPES",
    "MERGE_FIELDS",
    "CampaignPreflightError",
    "CampaignSettings",
    "ChunkContact",
    "ChunkResult",
    "ContactChunk",
    "CsvImportReport",
    "FailedSendReport",
    "Recipient",
    "RejectedRowReport",
    "SendLedger",
    "SendOutcome",
    "TemplateSender",
    "add_chunk_result",
    "check_scopes",
    "check_template_fields",
    "derive_campaign_id",
    "file_columns",
    "find_approved_template",
    "find_or_create_group",
    "fingerprint_file",
    "import_contact_chunk",
    "iter_contact_chunks",
    "message_key",
    "publish_report",
    "run_chunks",
    "send_template_to_recipients",
]
