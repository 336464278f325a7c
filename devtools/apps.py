from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Tools for people working on the app, not for its users: the demo data (`seed_demo`) and
    the benchmark at a million orders (`benchmark`). They use every app; no app uses them."""

    name = "devtools"
