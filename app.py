"""The ASGI entry point: ``uvicorn app:app`` (or ``bca serve``) serves the configured deployment.

The application itself is built by :func:`runtime.api.app.create_app` in the composition root;
this module only applies it to the ``BCA_`` settings, so importing it reads the settings.
"""

from __future__ import annotations

from core.settings import get_settings
from runtime.api.app import create_app

app = create_app(get_settings())

__all__ = ["app", "create_app"]
