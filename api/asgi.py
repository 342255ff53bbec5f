"""``uvicorn api.asgi:app``: the application built from the environment."""

from api.app import create_app

app = create_app()
