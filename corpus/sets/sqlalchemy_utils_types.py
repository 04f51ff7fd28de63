"""sqlalchemy-utils' column types, in a small model as a project would use them."""

import sqlalchemy as sa
from sqlalchemy_utils import EmailType
from sqlalchemy_utils import JSONType
from sqlalchemy_utils import ScalarListType
from sqlalchemy_utils import URLType
from sqlalchemy_utils import UUIDType

REQUIREMENTS = ["sqlalchemy-utils==0.43.0"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "plain SQLAlchemy, library types"

metadata = sa.MetaData()
sa.Table(
    "account",
    metadata,
    sa.Column("id", UUIDType(binary=False), primary_key=True),
    sa.Column("email", EmailType(255), nullable=False, unique=True),
    sa.Column("homepage", URLType),
    sa.Column("settings", JSONType),
    sa.Column("tags", ScalarListType(str)),
)
