"""(Re)build the microblog sample's legacy database without migrations.

Usage: python samples/microblog/build_legacy_db.py [--url URL]
URL precedence: --url, then $DATABASE_URL, then samples/microblog/app.db (SQLite).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

SAMPLE_DIR = Path(__file__).resolve().parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: $DATABASE_URL or app.db)")
    return parser.parse_args(argv)


def seed() -> None:
    """Insert a handful of deterministic rows into every table.

    Integer keys are left to the database: fresh tables number rows 1..n, and explicit
    ids would leave PostgreSQL sequences behind the data.
    """
    from app import db
    from app.models import Message
    from app.models import Notification
    from app.models import Post
    from app.models import Task
    from app.models import User

    names = ["alice", "bob", "carol", "dave"]
    users = [
        User(
            username=name,
            email=f"{name}@example.com",
            password_hash=f"legacy-hash-{name}",
            about_me=f"Hi, I am {name.title()}." if i % 2 else None,
            last_seen=datetime(2024, 1, i, 12, 0, 0),
            last_message_read_time=datetime(2024, 1, i, 8, 30, 0) if i < 3 else None,
        )
        for i, name in enumerate(names, start=1)
    ]
    db.session.add_all(users)
    alice, bob, carol, dave = users

    # followers association rows (follower -> followed)
    alice.following.add(bob)
    alice.following.add(carol)
    bob.following.add(alice)
    carol.following.add(dave)
    dave.following.add(alice)

    db.session.add_all(
        Post(
            body=f"Post number {i} by {author.username}",
            timestamp=datetime(2024, 2, i, 10, i, 0),
            author=author,
            language=lang,
        )
        for i, (author, lang) in enumerate(
            [(alice, "en"), (alice, "es"), (bob, "en"), (carol, "fr"), (dave, None)], start=1
        )
    )
    db.session.add_all(
        Message(
            author=sender,
            recipient=recipient,
            body=f"Message {i} from {sender.username} to {recipient.username}",
            timestamp=datetime(2024, 3, i, 9, 0, 0),
        )
        for i, (sender, recipient) in enumerate(
            [(alice, bob), (bob, alice), (carol, alice), (dave, carol)], start=1
        )
    )
    db.session.add_all(
        Notification(
            name="unread_message_count",
            user=user,
            timestamp=1704067200.0 + i * 60.5,
            payload_json=json.dumps(count),
        )
        for i, (user, count) in enumerate([(alice, 2), (bob, 1), (carol, 1)], start=1)
    )
    db.session.add_all(
        [
            Task(
                id="00000000-0000-4000-8000-000000000001",
                name="export_posts",
                description="Exporting posts...",
                user=alice,
                complete=True,
            ),
            Task(
                id="00000000-0000-4000-8000-000000000002",
                name="export_posts",
                description="Exporting posts...",
                user=bob,
                complete=False,
            ),
            Task(
                id="00000000-0000-4000-8000-000000000003",
                name="export_posts",
                description=None,
                user=carol,
            ),
        ]
    )
    db.session.commit()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sys.path.insert(0, str(SAMPLE_DIR))

    from app import create_app
    from app import db
    from config import Config

    class BuildConfig(Config):
        # Config already falls back from $DATABASE_URL to the default SQLite file.
        SQLALCHEMY_DATABASE_URI = args.url or Config.SQLALCHEMY_DATABASE_URI

    app = create_app(BuildConfig)
    with app.app_context():
        db.drop_all()
        # A legacy database never has Alembic's bookkeeping table; remove leftovers.
        sa.Table("alembic_version", sa.MetaData()).drop(db.engine, checkfirst=True)
        db.create_all()
        seed()
        db.session.remove()
        db.engine.dispose()  # close pooled connections before the interpreter exits
    shown = make_url(BuildConfig.SQLALCHEMY_DATABASE_URI).render_as_string(hide_password=True)
    print(f"Built legacy microblog database: {shown}")


if __name__ == "__main__":
    main()
