"""A local emulator of the RASL WhatsApp Business API v2, for tests, demos and benchmarks.

Start it with `rasl-prefect sandbox` or, in Python, `with run_sandbox() as sandbox: ...`.
"""

from rasl_prefect.sandbox.admin import SandboxAdmin, SandboxAdminError
from rasl_prefect.sandbox.app import create_app
from rasl_prefect.sandbox.server import SandboxServer, run_sandbox
from rasl_prefect.sandbox.state import SandboxSettings, SandboxState

__all__ = [
    "SandboxAdmin",
    "SandboxAdminError",
    "SandboxServer",
    "SandboxSettings",
    "SandboxState",
    "create_app",
    "run_sandbox",
]
