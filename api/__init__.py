"""The web service (FastAPI): the JSON API, the Chinese console and the map pages.

A front door only: routers parse a request, call a use case of :mod:`application` with the
caller's visibility (:attr:`api.users.User.visibility`) and render the answer. Users,
tokens, roles (which routes a role may call) and the console's forms live here; what a
caller may see of the data is decided in :mod:`application.visibility`.
"""
