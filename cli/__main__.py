"""`python -m cli …` = the `xueji` command (how `xueji up` starts its services)."""

from cli.app import app

app()
