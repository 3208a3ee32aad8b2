"""The HTTP edge: the FastAPI app factory, problem details, request dependencies, `serve`."""
