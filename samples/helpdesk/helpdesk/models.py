"""Helpdesk models: agents, tickets and comments in the main database; audit events and
login attempts in the 'audit' bind."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from helpdesk import db


class Agent(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80))
    active: so.Mapped[bool] = so.mapped_column(server_default=sa.true())


class Ticket(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    subject: so.Mapped[str] = so.mapped_column(sa.String(200))
    status: so.Mapped[str] = so.mapped_column(sa.String(20), index=True, server_default="open")
    priority: so.Mapped[int] = so.mapped_column(server_default="3")
    opened_at: so.Mapped[datetime]
    assignee_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("agent.id", ondelete="SET NULL")
    )

    __table_args__ = (sa.CheckConstraint("priority BETWEEN 1 AND 5", name="ck_ticket_priority"),)


class Comment(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("ticket.id", ondelete="CASCADE"), index=True
    )
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agent.id"))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime]


class AuditEvent(db.Model):
    __bind_key__ = "audit"
    __tablename__ = "audit_event"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    actor: so.Mapped[str] = so.mapped_column(sa.String(120), index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(40))
    target: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    at: so.Mapped[datetime]

    __table_args__ = (sa.Index("ix_audit_event_action_at", "action", "at"),)


class LoginAttempt(db.Model):
    __bind_key__ = "audit"
    __tablename__ = "login_attempt"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(120))
    succeeded: so.Mapped[bool]
    at: so.Mapped[datetime]
