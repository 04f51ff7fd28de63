"""(Re)build the helpdesk sample's two legacy databases without migrations.

URLs: $DATABASE_URL (default helpdesk.db) and $AUDIT_DATABASE_URL (default audit.db).
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

SAMPLE_DIR = Path(__file__).resolve().parent


def seed() -> None:
    from helpdesk import db
    from helpdesk.models import Agent
    from helpdesk.models import AuditEvent
    from helpdesk.models import Comment
    from helpdesk.models import LoginAttempt
    from helpdesk.models import Ticket

    ann = Agent(email="ann@example.com", name="Ann")
    raj = Agent(email="raj@example.com", name="Raj", active=False)
    db.session.add_all([ann, raj])
    db.session.flush()
    tickets = [
        Ticket(subject=f"Ticket {i}", priority=1 + i % 5, opened_at=datetime(2024, 5, i, 9, 0))
        for i in range(1, 6)
    ]
    tickets[0].assignee_id = ann.id
    db.session.add_all(tickets)
    db.session.flush()
    db.session.add_all(
        Comment(
            ticket_id=t.id,
            author_id=ann.id,
            body=f"Looking at {t.subject}",
            created_at=datetime(2024, 5, 10, 12, 0),
        )
        for t in tickets[:3]
    )
    db.session.add_all(
        AuditEvent(
            actor="ann@example.com",
            action="assign",
            target=f"ticket:{i}",
            at=datetime(2024, 5, 10, 12, i),
        )
        for i in range(1, 4)
    )
    db.session.add_all(
        LoginAttempt(email="raj@example.com", succeeded=bool(i % 2), at=datetime(2024, 5, 9, 8, i))
        for i in range(4)
    )
    db.session.commit()


def main() -> None:
    sys.path.insert(0, str(SAMPLE_DIR))
    from helpdesk import create_app
    from helpdesk import db

    app = create_app()
    with app.app_context():
        db.drop_all()
        # A legacy database never has Alembic's bookkeeping table; remove leftovers.
        for engine in db.engines.values():
            sa.Table("alembic_version", sa.MetaData()).drop(engine, checkfirst=True)
        db.create_all()
        seed()
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    print("Built the legacy helpdesk databases (main and audit).")


if __name__ == "__main__":
    main()
