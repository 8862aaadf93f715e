"""Read models: SQLAlchemy tables and projectors that follow an application's notification log.

Arrives with the query issue (SPEC §14, AUD-3); the stores already keep everything needed to
build any view from the log.
"""
