"""Prefect 3 integration for the RASL WhatsApp Business API v2."""
