"""Command modules. Each module here defines ``register(app: typer.Typer) -> None`` and is
picked up by :mod:`gigawatt.cli` at start-up, so a stage adds its commands in its own file."""
