"""``uvicorn server.asgi:app``: the application built from the environment."""

from server.app import create_app

app = create_app()
