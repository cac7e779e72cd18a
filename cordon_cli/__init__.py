"""`cordon`: a command-line client for the Cordon REST API, for responders on a
compromised host. Standard library only, and nothing from Django or the app, so it
runs wherever `pip install` of the project does."""

__version__ = "0.1.0"
