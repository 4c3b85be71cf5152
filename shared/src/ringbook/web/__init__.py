"""HTTP: the FastAPI app factory every service uses, errors, auth dependencies."""
