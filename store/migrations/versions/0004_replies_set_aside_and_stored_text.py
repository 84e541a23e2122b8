"""Replies as proposed changes, mail set aside with its reason, and what the desk shows kept at intake

Revision ID: 0004
Revises: 0003a

- message: body_text, body_html (sanitised), attachments and warnings, kept when the mail is read,
  so the desk never reads the raw mail on a page view; reason (why it was set aside, in Danish),
  thread_pk (the submission a reply answers), closed_at/closed_by ("Luk" in the desk).
- draft: pending_change (a reply's proposal waiting for a reviewer), origin and missing per field.
- notification: message_id, the Message-ID kontakt sent it with, so a reply to a receipt or a decision
  finds its thread.
Existing rows get empty lists and objects; mail read before this revision shows its text again after
`Læs igen` in the desk.
"""
from alembic import op
import sqlalchemy as sa

import store.models

revision = '0004'
down_revision = '0003a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('body_html', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('attachments', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('warnings', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('thread_pk', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', store.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_by', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_message_thread_pk', ['thread_pk'], unique=False)
        batch_op.create_foreign_key('fk_message_thread_pk', 'message', ['thread_pk'], ['id'])
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_change', sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column('origin', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('missing', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=998), nullable=True))
        batch_op.create_index('ix_notification_message_id', ['message_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_message_id')
        batch_op.drop_column('message_id')
    with op.batch_alter_table('draft', schema=None) as batch_op:
        for name in ('missing', 'origin', 'pending_change'):
            batch_op.drop_column(name)
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint('fk_message_thread_pk', type_='foreignkey')
        batch_op.drop_index('ix_message_thread_pk')
        for name in ('closed_by', 'closed_at', 'thread_pk', 'reason', 'warnings', 'attachments', 'body_html', 'body_text'):
            batch_op.drop_column(name)
