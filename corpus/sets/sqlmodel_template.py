"""The SQLModel models of the full-stack FastAPI template (User and Item, UUID keys made by
Python, an indexed unique email, a cascading foreign key), written as that template has them.

Dialects: SQLModel is SQLAlchemy underneath; the template uses PostgreSQL, all three work."""

import uuid

import sqlalchemy as sa
from sqlmodel import Field
from sqlmodel import Relationship
from sqlmodel import SQLModel

REQUIREMENTS = ["sqlmodel==0.0.50"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "SQLModel app, UUID keys"


class User(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=255)
    is_active: bool = True
    is_superuser: bool = False
    full_name: str | None = Field(default=None, max_length=255)
    hashed_password: str
    items: list["Item"] = Relationship(back_populates="owner", cascade_delete=True)


class Item(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    title: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=255)
    owner_id: uuid.UUID = Field(foreign_key="user.id", nullable=False, ondelete="CASCADE")
    owner: User | None = Relationship(back_populates="items")


metadata = SQLModel.metadata


def seed(conn: sa.Connection) -> None:
    owner = uuid.UUID(int=5)
    conn.execute(
        sa.insert(User.__table__),  # type: ignore[attr-defined]
        [
            {
                "id": owner,
                "email": "ada@example.org",
                "is_active": True,
                "is_superuser": False,
                "hashed_password": "x",
            }
        ],
    )
    conn.execute(
        sa.insert(Item.__table__),  # type: ignore[attr-defined]
        [{"id": uuid.UUID(int=6), "title": "first", "owner_id": owner}],
    )
