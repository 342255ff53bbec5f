"""The GraphQL API: the schema, its types, resolvers and loaders, the HTTP view."""
