"""The sandbox's HTTP routes: one module per RASL API area, plus the admin API."""
