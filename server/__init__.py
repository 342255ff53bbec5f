"""The composition root: builds the Starlette application and mounts the GraphQL
API and the admin panel (which know nothing of each other)."""
