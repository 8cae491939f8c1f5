"""Every table module, imported so that ``SQLModel.metadata`` knows the whole schema.

Alembic's ``env.py`` and the migration tests import this module. A feature that adds tables
(``app/<feature>/tables.py``) adds its import here.
"""

from sqlmodel import SQLModel

metadata = SQLModel.metadata

__all__ = ["metadata"]
